# frozen_string_literal: true

require "open3"
require "rbconfig"
require_relative "support/zmq_helpers"

RSpec.describe ZMQ::Context do
  lib = File.expand_path("../lib", __dir__)

  describe ".new" do
    it "allows a single live context per process and says where the first was made" do
      first = ZMQ::Context.new; line = __LINE__
      expect { ZMQ::Context.new }
        .to raise_error(ZMQ::Error, "single ZMQ context per process allowed (previous context created at #{__FILE__}:#{line})")
      expect(ZMQ.context).to equal(first)
      first.destroy
      second = ZMQ::Context.new
      expect(ZMQ.context).to equal(second)
    end

    it "accepts an I/O thread count" do
      c = ZMQ::Context.new(2)
      expect(c).to be_an_instance_of(ZMQ::Context)
    end

    it "gives a plain ZMQ::Context even when called on a subclass" do
      sub = Class.new(ZMQ::Context)
      expect(sub.new).to be_an_instance_of(ZMQ::Context)
    end

    it "calls initialize with no arguments" do
      seen = nil
      ZMQ::Context.class_eval do
        alias_method :spec_orig_initialize, :initialize
        define_method(:initialize) { |*args| seen = args }
      end
      ZMQ::Context.new(1)
      expect(seen).to eq([])
    ensure
      ZMQ::Context.class_eval do
        alias_method :initialize, :spec_orig_initialize
        remove_method :spec_orig_initialize
      end
    end

    it "leaves the application's INT and TERM traps alone (zmq-rs decision)" do
      script = 'trap(:TERM) { puts "term trap"; exit 0 }; ZMQ::Context.new; Process.kill(:TERM, Process.pid); sleep 5; puts "no trap"'
      out, status = Open3.capture2e(RbConfig.ruby, "-I", lib, "-rzmq", "-e", script)
      expect(out).to eq("term trap\n")
      expect(status).to be_success
    end
  end

  describe "#destroy" do
    it "returns nil, empties the registry and refuses a second destroy" do
      c = ctx
      expect(c.destroy).to be_nil
      expect(ZMQ.context).to be_nil
      expect { c.destroy }.to raise_error(ZMQ::Error, /ZMQ::Context instance 0x\h+ has been destroyed by the ZMQ framework/)
    end

    it "makes every method of the context raise ZMQ::Error" do
      c = ctx
      c.destroy
      expect { c.socket(:PUB) }.to raise_error(ZMQ::Error, /has been destroyed/)
      expect { c.iothreads = 1 }.to raise_error(ZMQ::Error, /has been destroyed/)
      expect { c.linger = 1 }.to raise_error(ZMQ::Error, /has been destroyed/)
      expect { c.bind(:PUB, "inproc://x") }.to raise_error(ZMQ::Error, /has been destroyed/)
      expect(c.inspect).to match(/\A#<ZMQ::Context:0x\h+>\z/)
    end

    it "closes its sockets, whose objects then raise ZMQ::Error" do
      c = ctx
      a = c.socket(:PAIR)
      b = c.socket(:PUSH)
      a.bind("inproc://ctx-destroy")
      c.destroy
      [a, b].each do |s|
        expect { s.state }.to raise_error(ZMQ::Error, /ZMQ::Socket instance \w* has been destroyed by the ZMQ framework/)
        expect { s.close }.to raise_error(ZMQ::Error, /has been destroyed/)
        expect(s.inspect).to match(/\A#<ZMQ::Socket::\w+:0x\h+>\z/)
      end
    end

    it "wakes threads blocked in recv, which get nil" do
      pull = ctx.socket(:PULL)
      pull.bind("inproc://ctx-wake")
      threads = Array.new(3) { Thread.new { pull.recv } }
      wait_until { threads.all? { |t| t.status == "sleep" } }
      ctx.destroy
      expect(threads.map { |t| t.join(5)&.value }).to eq([nil, nil, nil])
    end

    it "does not wait for undelivered messages beyond the linger" do
      push = ctx.socket(:PUSH)
      push.sndtimeo = 0
      push.connect("tcp://127.0.0.1:1") # nobody listens there
      push.send("queued")
      t = monotonic
      ctx.destroy
      expect(monotonic - t).to be < 1
    end
  end

  describe "#iothreads= and #linger=" do
    it "take an Integer and refuse negative values" do
      expect(ctx.send(:iothreads=, 1)).to be_nil
      expect { ctx.iothreads = 1.5 }.to raise_error(TypeError, "wrong argument type Float (expected Integer)")
      expect { ctx.iothreads = -1 }.to raise_error(ZMQ::Error, "negative I/O threads count is not supported.")
      expect(ctx.send(:linger=, 10)).to be_nil
      expect { ctx.linger = "1" }.to raise_error(TypeError, "wrong argument type String (expected Integer)")
      expect { ctx.linger = -1 }.to raise_error(ZMQ::Error, "negative linger / timeout values is not supported.")
    end

    it "with zero I/O threads allows inproc only (tcp/ipc raise the EMTHREAD ZMQ::Error)" do
      c = ZMQ::Context.new(0)
      sock = c.socket(:PUB)
      expect(sock.bind("inproc://no-io")).to eq(0)
      expect { sock.bind("tcp://127.0.0.1:*") }
        .to raise_error(ZMQ::Error, /There are no I\/O thread available .* ZMQ::Context.new\(1\)/)
      expect { c.socket(:SUB).connect("ipc:///tmp/zmqrs-no-io") }.to raise_error(ZMQ::Error, /no I\/O thread/)
    end
  end

  describe "#socket" do
    it "makes the type's subclass, in PENDING state, from an Integer or a Symbol" do
      expect(ctx.socket(ZMQ::REP)).to be_an_instance_of(ZMQ::Socket::Rep)
      expect(ctx.socket(:REP)).to be_an_instance_of(ZMQ::Socket::Rep)
      { PAIR: ZMQ::Socket::Pair, PUB: ZMQ::Socket::Pub, SUB: ZMQ::Socket::Sub, REQ: ZMQ::Socket::Req,
        REP: ZMQ::Socket::Rep, DEALER: ZMQ::Socket::Dealer, ROUTER: ZMQ::Socket::Router,
        PULL: ZMQ::Socket::Pull, PUSH: ZMQ::Socket::Push, XPUB: ZMQ::Socket::XPub,
        XSUB: ZMQ::Socket::XSub, STREAM: ZMQ::Socket::Stream }.each do |sym, klass|
        sock = ctx.socket(sym)
        expect(sock).to be_an_instance_of(klass)
        expect(sock.state).to eq(ZMQ::Socket::PENDING)
        expect(sock.sndhwm).to eq(1000)
        expect(sock.rcvhwm).to eq(1000)
      end
    end

    it "resolves Symbols through ZMQ.const_get, as rbczmq does" do
      expect(ctx.socket(:POLLIN)).to be_an_instance_of(ZMQ::Socket::Pub)
      expect { ctx.socket(:req) }.to raise_error(NameError, /uninitialized constant ZMQ::req/)
    end

    it "refuses other types and unknown numbers" do
      expect { ctx.socket("invalid") }.to raise_error(TypeError, "wrong socket type invalid (expected Fixnum or Symbol)")
      expect { ctx.socket(nil) }.to raise_error(TypeError, "wrong socket type  (expected Fixnum or Symbol)")
      expect { ctx.socket(99) }.to raise_error(ZMQ::Error, "ZMQ socket type 99 not supported!")
      expect { ctx.socket(-1) }.to raise_error(ZMQ::Error, "ZMQ socket type -1 not supported!")
    end

    it "cannot be made with Socket.new" do
      expect { ZMQ::Socket.new }.to raise_error(TypeError, /allocator undefined/)
      expect { ZMQ::Socket::Pub.new }.to raise_error(TypeError, /allocator undefined/)
    end
  end

  describe "#bind and #connect" do
    it "make a socket, bind or connect it, and return the socket" do
      rep = ctx.bind(:REP, "inproc://ctx-sugar")
      req = ctx.connect(ZMQ::REQ, "inproc://ctx-sugar")
      expect(rep).to be_an_instance_of(ZMQ::Socket::Rep)
      expect(req).to be_an_instance_of(ZMQ::Socket::Req)
      expect(rep.state).to eq(ZMQ::Socket::BOUND)
      expect(req.state).to eq(ZMQ::Socket::CONNECTED)
      req.send("ping")
      expect(recv_within(rep)).to eq("ping")
    end
  end

  describe "fork" do
    it "lets a child make and use its own context; the parent's refuses to work there" do
      parent = ctx
      reader, writer = IO.pipe
      pid = fork do
        reader.close
        result = []
        result << ZMQ.context.inspect
        begin
          parent.socket(:PUB)
        rescue ZMQ::Error => e
          result << e.message
        end
        child = ZMQ::Context.new
        pull = child.socket(:PULL)
        push = child.socket(:PUSH)
        push.connect(bind_any(pull, :tcp))
        push.send("from child")
        pull.rcvtimeo = 5000
        result << pull.recv
        child.destroy
        writer.write(Marshal.dump(result))
        writer.close
        exit!(0)
      end
      writer.close
      result = Marshal.load(reader.read) # rubocop:disable Security/MarshalLoad
      _, status = Process.wait2(pid)
      expect(status).to be_success
      expect(result).to eq(["nil", "ZMQ::Context instance belongs to another process. Create a new context for this process!",
                            "from child"])
      # The parent's context still works.
      expect(parent.socket(:PUB)).to be_a(ZMQ::Socket::Pub)
    end
  end
end
