# frozen_string_literal: true

require_relative "support/zmq_helpers"

# ZMQ::Handler and ZMQ::DefaultHandler (rbczmq-api.md section 2.9).
RSpec.describe ZMQ::Handler do
  include ZmqHelpers

  let(:item) { ZMQ::Pollitem.new($stdin, ZMQ::POLLIN) }

  it "needs a Pollitem" do
    expect { ZMQ::Handler.new(:socket) }.to raise_error(TypeError, ":socket is not a valid ZMQ::Pollitem instance")
    expect { ZMQ::Handler.new(nil) }.to raise_error(TypeError, "nil is not a valid ZMQ::Pollitem instance")
    expect { ZMQ::Handler.new }.to raise_error(ArgumentError)
  end

  it "stores the pollitem and ignores extra arguments" do
    handler = ZMQ::Handler.new(item, 1, :two)
    expect(handler.pollitem).to equal(item)
    expect(handler.instance_variable_get(:@pollitem)).to equal(item)
  end

  it "on_readable and on_writable must be implemented by subclasses" do
    handler = ZMQ::Handler.new(item)
    expect { handler.on_readable }
      .to raise_error(NotImplementedError, "ZMQ handlers are expected to implement an #on_readable contract")
    expect { handler.on_writable }
      .to raise_error(NotImplementedError, "ZMQ handlers are expected to implement an #on_writable contract")
  end

  it "on_error re-raises" do
    error = ArgumentError.new("bad")
    expect { ZMQ::Handler.new(item).on_error(error) }.to raise_error(error)
  end

  it "is subclassable; a bare super passes every argument (blocks included)" do
    sub = Class.new(ZMQ::Handler) do
      attr_reader :extra, :block

      def initialize(pollitem, extra, &block)
        super
        @extra = extra
        @block = block
      end
    end
    handler = sub.new(item, :x) { :blk }
    expect([handler.pollitem, handler.extra, handler.block.call]).to eq([item, :x, :blk])
    expect { sub.new(:bad, :x) }.to raise_error(TypeError)
  end

  it "send and recv go through the pollitem (send overrides Object#send)" do
    rep = ctx.bind(:REP, "inproc://handler-send-recv")
    req = ctx.connect(:REQ, "inproc://handler-send-recv")
    rep_handler = ZMQ::Handler.new(ZMQ::Pollitem.new(rep, ZMQ::POLLIN))
    req_handler = ZMQ::Handler.new(ZMQ::Pollitem.new(req, ZMQ::POLLOUT))
    expect(rep_handler.recv).to be_nil
    expect(req_handler.send("ping")).to be(true)
    expect(rep.poll(5000)).to be(true)
    expect(rep_handler.recv).to eq("ping")
  end

  describe ZMQ::DefaultHandler do
    it "is a Handler that prints what it receives (p) and sends \"\" when writable" do
      expect(ZMQ::DefaultHandler.superclass).to equal(ZMQ::Handler)
      a = ctx.bind(:PAIR, "inproc://default-handler")
      b = ctx.connect(:PAIR, "inproc://default-handler")
      reader = ZMQ::DefaultHandler.new(ZMQ::Pollitem.new(a, ZMQ::POLLIN))
      writer = ZMQ::DefaultHandler.new(ZMQ::Pollitem.new(b, ZMQ::POLLOUT))
      expect(writer.on_writable).to be(true)
      expect(a.poll(5000)).to be(true)
      expect { expect(reader.on_readable).to eq("") }.to output("\"\"\n").to_stdout
      expect { reader.on_readable }.to output("nil\n").to_stdout
    end
  end
end
