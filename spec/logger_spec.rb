# frozen_string_literal: true

require_relative "support/zmq_helpers"

RSpec.describe ZMQ::Logger do
  it "is a ::Logger that accepts PUB, PUSH and PAIR sockets only" do
    expect(ZMQ::Logger.ancestors).to include(::Logger)
    expect(ZMQ::Logger::VALID_SOCKET_CLASSES).to eq([ZMQ::Socket::Pub, ZMQ::Socket::Push, ZMQ::Socket::Pair])
    %i[PUB PUSH PAIR].each { |type| expect(ZMQ::Logger.new(ctx.socket(type))).to be_a(ZMQ::Logger) }
  end

  it "refuses other sockets and non-sockets with InvalidSocketError (< ZMQ::Error, message = class name)" do
    expect(ZMQ::Logger::InvalidSocketError.superclass).to eq(ZMQ::Error)
    [ctx.socket(:REQ), ctx.socket(:SUB), "socket", nil].each do |bad|
      expect { ZMQ::Logger.new(bad) }.to raise_error(ZMQ::Logger::InvalidSocketError, "ZMQ::Logger::InvalidSocketError")
    end
  end

  it "sends each formatted line as one message and returns true (rbczmq's test)" do
    reader = ctx.socket(:PULL)
    port = reader.bind("tcp://*:*")
    expect(port).to be > 0
    writer = ctx.socket(:PUSH)
    writer.connect("tcp://localhost:#{port}")
    logger = ZMQ::Logger.new(writer)
    expect(logger.debug("hellö world")).to be(true)
    logger.info("second")
    first = recv_within(reader).force_encoding(Encoding::UTF_8)
    expect(first).to match(/\AD, \[.*\] DEBUG -- : hellö world\n\z/)
    expect(recv_within(reader)).to match(/\AI, \[.*\]  INFO -- : second\n\z/)
  end

  it "needs a bound or connected socket; close does nothing" do
    logger = ZMQ::Logger.new(ctx.socket(:PUB))
    expect { logger.info("x") }.to raise_error(ZMQ::Error, "can only send on a bound or connected socket!")
    expect(logger.close).to be_nil
  end

  it "on a closed socket raises ZMQ::Error" do
    sock = ctx.socket(:PUB)
    sock.bind("inproc://logger-closed")
    logger = ZMQ::Logger.new(sock)
    sock.close
    expect { logger.warn("x") }.to raise_error(ZMQ::Error, /has been destroyed/)
  end
end
