# frozen_string_literal: true

require_relative "support/zmq_helpers"

RSpec.describe "ZMQ::Frame and ZMQ::Message" do
  def capture_stderr
    reader, writer = IO.pipe
    saved = $stderr
    $stderr = writer
    yield
    writer.close
    reader.read
  ensure
    $stderr = saved
  end

  describe ZMQ::Frame do
    it "holds a binary copy of its data" do
      src = +"message"
      frame = ZMQ::Frame(src)
      src << "!"
      expect(frame.data).to eq("message")
      expect(frame.data.encoding).to eq(Encoding::BINARY)
      expect(frame.size).to eq(7)
      expect(frame.to_s).to eq("message")
      expect("#{frame}!").to eq("message!")
      expect(frame.strhex).to eq("6D657373616765")
      expect(frame.more?).to be(false)
      # Ruby's default inspect of a C object, as rbczmq's: the address, no contents.
      expect(frame.inspect).to eq(Kernel.instance_method(:to_s).bind_call(frame))
      expect(frame.inspect).to match(/\A#<ZMQ::Frame:0x\h{16}>\z/)
      expect(ZMQ::Message.new.inspect).to match(/\A#<ZMQ::Message:0x\h{16}>\z/)
      expect(ZMQ::Frame.new.size).to eq(0)
      expect(Class.new(ZMQ::Frame).new("x")).to be_an_instance_of(ZMQ::Frame)
      expect { ZMQ::Frame(1) }.to raise_error(TypeError, "wrong argument type Integer (expected String)")
    end

    it "compares content with ==/eql? and size with <=>" do
      expect(ZMQ::Frame("a")).to eq(ZMQ::Frame("a"))
      expect(ZMQ::Frame("a")).not_to eq(ZMQ::Frame("b"))
      expect(ZMQ::Frame("a").eql?(ZMQ::Frame("a"))).to be(true)
      expect(ZMQ::Frame("message") > ZMQ::Frame("msg")).to be(true)
      expect(ZMQ::Frame("abc") <=> ZMQ::Frame("xyz")).to eq(0)
      expect { ZMQ::Frame("a") == "a" }.to raise_error(TypeError, /expected ZMQ::Frame/)
      expect(ZMQ::Frame("a\0b").data_equals?("a\0c")).to be(false)
      expect(ZMQ::Frame("a").data_equals?("a\0c")).to be(true)
      expect(ZMQ::Frame("abc").data_equals?("abc")).to be(true)
    end

    it "dup, reset, destroy and gone?" do
      frame = ZMQ::Frame("one")
      copy = frame.dup
      frame.reset("two")
      expect([frame.data, copy.data]).to eq(%w[two one])
      expect(frame.destroy).to be_nil
      expect(frame.gone?).to be(true)
      expect([frame.size, frame.data, frame.strhex, frame.more?]).to eq([nil, nil, nil, nil])
      gone = "Cannot access frame that belongs to another message or is gone."
      expect { frame.dup }.to raise_error(ZMQ::Error, gone)
      expect { frame.reset("x") }.to raise_error(ZMQ::Error, gone)
      expect { frame == copy }.to raise_error(ZMQ::Error, gone)
      expect { frame.destroy }.to raise_error(ZMQ::Error, gone)
    end

    it "prints to stderr, text or hex" do
      out = capture_stderr do
        expect(ZMQ::Frame("hello").print("pre:")).to be_nil
        expect(ZMQ::Frame("\x01\x02\xFF".b).dump).to be_nil
        ZMQ::Frame("z" * 80).print
      end
      expect(out).to eq("pre:[005] hello\n[003] 0102FF\n[080] #{'z' * 70}...\n")
    end
  end

  describe ZMQ::Message do
    it "push/add, pop/popstr, pushstr/addstr, size and content_size" do
      msg = ZMQ::Message.new
      expect(msg.addstr("body")).to be(true)
      expect(msg.pushstr("header")).to be(true)
      expect(msg.add(ZMQ::Frame("tail"))).to be(true)
      expect(msg.push(ZMQ::Frame("first"))).to be(true)
      expect(msg.size).to eq(4)
      expect(msg.content_size).to eq(19)
      expect(msg.pop).to eq(ZMQ::Frame("first"))
      expect(msg.popstr).to eq("header")
      expect(msg.to_a.map(&:data)).to eq(%w[body tail])
      expect(ZMQ::Message("a\0b").popstr).to eq("a\0b") # zmq-rs keeps every byte
      expect { ZMQ::Message.new(1) }.to raise_error(ArgumentError)
      expect { msg.addstr(ZMQ::Frame("x")) }.to raise_error(TypeError)
    end

    it "first/next/last share a cursor that changes reset" do
      msg = ZMQ::Message("a", "b", "c")
      expect(msg.next.data).to eq("a")
      expect(msg.next.data).to eq("b")
      expect(msg.first.data).to eq("a")
      expect(msg.next.data).to eq("b")
      expect(msg.last.data).to eq("c")
      expect(msg.next).to be_nil
      expect(msg.next.data).to eq("a")
      msg.addstr("d")
      expect(msg.next.data).to eq("a")
    end

    it "keeps frame identity, and a frame cannot be in two messages" do
      frame = ZMQ::Frame("x")
      msg = ZMQ::Message.new
      msg.add(frame)
      expect(msg.first).to equal(frame)
      expect(msg.to_a.first).to equal(frame)
      expect(frame.data).to eq("x")
      expect { ZMQ::Message.new.add(frame) }.to raise_error(ZMQ::Error, /belongs to another message/)
      expect { msg.add(frame) }.to raise_error(ZMQ::Error)
      popped = msg.pop
      other = ZMQ::Message.new
      expect(other.add(popped)).to be(true)
      expect(other.remove(popped)).to be_nil
      expect(other.size).to eq(0)
      expect(popped.gone?).to be(false)
    end

    it "wrap and unwrap the routing envelope" do
      msg = ZMQ::Message("body")
      expect(msg.wrap(ZMQ::Frame("id"))).to be_nil
      expect(msg.to_a.map(&:data)).to eq(["id", "", "body"])
      expect(msg.unwrap.data).to eq("id")
      expect(msg.to_a.map(&:data)).to eq(["body"])
      expect(msg.unwrap.data).to eq("body") # rbczmq aborted here; zmq-rs returns the frame
      expect(msg.unwrap).to be_nil
    end

    it "encode/decode czmq's format, dup and ==" do
      msg = ZMQ::Message("header", "body", "x" * 300)
      encoded = msg.encode
      expect(encoded.encoding).to eq(Encoding::BINARY)
      expect(encoded).to start_with("\x06header\x04body\xFF\x00\x00\x01\x2C".b)
      decoded = ZMQ::Message.decode(encoded)
      expect(decoded.to_a.map(&:data)).to eq(["header", "body", "x" * 300])
      expect(decoded).to eq(msg)
      expect(msg.dup).to eq(msg)
      expect(ZMQ::Message.decode("")).to eq(ZMQ::Message.new)
      expect(ZMQ::Message.decode("\x05abc")).to be_nil
      expect(ZMQ::Message.decode("\xFF\x00".b)).to be_nil
      expect { msg == "x" }.to raise_error(TypeError, /expected ZMQ::Message/)
    end

    it "is gone after destroy: reads give nil, changes raise TypeError" do
      frame = ZMQ::Frame("f")
      msg = ZMQ::Message.new
      msg.add(frame)
      expect(msg.destroy).to be_nil
      expect(msg.gone?).to be(true)
      expect(frame.gone?).to be(true)
      expect([msg.size, msg.content_size, msg.first, msg.next, msg.last, msg.encode, msg.print]).to all(be_nil)
      %i[pop popstr unwrap to_a dup destroy].each do |name|
        expect { msg.public_send(name) }.to raise_error(TypeError, "Cannot modify a message that is gone."), name.to_s
      end
      expect { msg.addstr("x") }.to raise_error(TypeError, "Cannot modify a message that is gone.")
    end

    it "prints a separator and the frames to stderr" do
      out = capture_stderr { expect(ZMQ::Message("a", "bc").print).to be_nil }
      expect(out).to eq("#{'-' * 38}\n[001] a\n[002] bc\n")
    end
  end

  describe "sending and receiving frames and messages" do
    it "send_frame with MORE, DONTWAIT and REUSE; recv_frame tells more?" do
      pull, push = pair_of(:PULL, :PUSH, :tcp)
      first = ZMQ::Frame("one")
      expect(push.send_frame(first, ZMQ::Frame::MORE)).to be(true)
      expect(first.gone?).to be(true)
      reused = ZMQ::Frame("two")
      expect(push.send_frame(reused, :REUSE)).to be(true)
      expect(reused.gone?).to be(false)
      expect(push.send_frame(reused, ZMQ::Frame::DONTWAIT)).to be(true)
      frame = ZMQ::Frame.new("x")
      frame.destroy
      expect { push.send_frame(frame) }.to raise_error(ZMQ::Error, /is gone/)
      expect { push.send_frame("str") }.to raise_error(TypeError, /expected ZMQ::Frame/)
      expect { push.send_frame(ZMQ::Frame("x"), 1.5) }.to raise_error(TypeError)

      pull.rcvtimeo = 5000
      got = pull.recv_frame
      expect(got).to eq(ZMQ::Frame("one"))
      expect(got.more?).to be(true)
      second = pull.recv_frame
      expect([second.data, second.more?]).to eq(["two", false])
      expect(wait_until { pull.recv_frame_nonblock }).to eq(ZMQ::Frame("two"))
      expect(pull.recv_frame_nonblock).to be_nil
    end

    it "send_message sends all frames as one message, returns nil and makes it gone" do
      router = ctx.socket(:ROUTER)
      dealer = ctx.socket(:DEALER)
      dealer.identity = "d1"
      dealer.connect(bind_any(router, :ipc))
      msg = ZMQ::Message("part 1", "part 2")
      frame = msg.first
      expect(dealer.send_message(msg)).to be_nil
      expect(msg.gone?).to be(true)
      expect(frame.gone?).to be(true)
      router.rcvtimeo = 5000
      received = router.recv_message
      expect(received.to_a.map(&:data)).to eq(["d1", "part 1", "part 2"])
      expect(received.to_a.map(&:more?)).to eq([true, true, false]) # as czmq's zmsg_recv
      reply = ZMQ::Message("answer")
      reply.wrap(received.unwrap)
      expect(router.send_message(reply)).to be_nil
      dealer.rcvtimeo = 5000
      expect(dealer.recv_message.to_a.map(&:data)).to eq(["", "answer"])
      expect { dealer.send_message(msg) }.to raise_error(TypeError, "Cannot modify a message that is gone.")
      expect { dealer.send_message("x") }.to raise_error(TypeError, /expected ZMQ::Message/)
      empty = ZMQ::Message.new
      expect(dealer.send_message(empty)).to be_nil
      expect(empty.gone?).to be(true)
    end

    it "recv_message returns nil when the receive times out" do
      pull = ctx.socket(:PULL)
      pull.bind("inproc://recv-message")
      pull.rcvtimeo = 50
      expect(pull.recv_message).to be_nil
    end
  end
end
