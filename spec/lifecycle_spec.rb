# frozen_string_literal: true

require "open3"
require "rbconfig"
require_relative "support/zmq_helpers"

# Context lifecycle and module functions beyond spec/context_spec.rb and
# spec/zmq_module_spec.rb (rbczmq-api.md sections 1.2, 2.1, 2.14, issue 4 item 8).
RSpec.describe "lifecycle" do
  lib = File.expand_path("../lib", __dir__)

  describe ZMQ::Error do
    it "is a plain StandardError subclass with no methods of its own" do
      expect(ZMQ::Error.superclass).to eq(StandardError)
      expect(ZMQ::Error.instance_methods(false)).to eq([])
      expect(ZMQ::Error.new("x").message).to eq("x")
    end

    it "ZMQ.error is a new, unraised ZMQ::Error for the thread's last zmq error" do
      sock = ctx.socket(:REQ)
      sock.connect("inproc://lifecycle-efsm")
      expect(sock.recv_nonblock).to be_nil # EFSM: a REQ must send first
      err = ZMQ.error
      expect(err).to be_an_instance_of(ZMQ::Error)
      expect(err.message).to eq("Operation cannot be accomplished in current state")
      expect(err.backtrace).to be_nil
      expect(ZMQ.errno).to eq(ZMQ::EFSM)
      expect(Thread.new { [ZMQ.errno, ZMQ.error] }.value).to eq([0, nil])
    end
  end

  describe "module functions" do
    it "ZMQ.Frame, ZMQ.Message and ZMQ.Pollitem are sugar over the classes" do
      expect(ZMQ.Frame("a")).to eq(ZMQ::Frame.new("a"))
      expect(ZMQ.Frame).to be_a(ZMQ::Frame)
      msg = ZMQ.Message("a", "b")
      expect(msg.to_a.map(&:data)).to eq(%w[a b])
      expect { ZMQ.Message(ZMQ::Frame("x")) }.to raise_error(TypeError)
      skip "ZMQ::Pollitem not loaded yet" unless defined?(ZMQ::Pollitem)

      r, = IO.pipe
      expect(ZMQ.Pollitem(r, ZMQ::POLLIN)).to be_a(ZMQ::Pollitem)
    end

    it "ZMQ.now is a 64-bit wall clock in ms; ZMQ.log prints % literally" do
      expect(ZMQ.now).to be_within(2000).of((Time.now.to_f * 1000).to_i)
      out, status = Open3.capture2e(RbConfig.ruby, "-I", lib, "-rzmq", "-e", 'p ZMQ.log("100%s %d %n")')
      expect(status).to be_success
      expect(out).to match(/\A\d\d-\d\d-\d\d \d\d:\d\d:\d\d 100%s %d %n\nnil\n\z/)
    end
  end

  describe "one live context per process" do
    it "a second Context.new raises until the first is destroyed; ZMQ.context follows" do
      first = ZMQ::Context.new
      expect { ZMQ::Context.new(1) }.to raise_error(ZMQ::Error, /\Asingle ZMQ context per process allowed \(previous context created at .+:\d+\)\z/)
      expect(ZMQ.context).to equal(first)
      first.destroy
      expect(ZMQ.context).to be_nil
      second = ZMQ::Context.new
      expect(ZMQ.context).to equal(second)
      expect(second).not_to equal(first)
    end

    it "sockets keep their context alive: GC with no context variable" do
      sock = ZMQ::Context.new.socket(:PAIR)
      GC.start
      expect(sock.bind("inproc://lifecycle-gc")).to eq(0)
      expect(sock.__context).to equal(ZMQ.context)
    end
  end

  describe "Context#bind and #connect" do
    it "return the socket over tcp as well, and check the socket type and endpoint" do
      pull = ctx.bind(:PULL, "tcp://127.0.0.1:*")
      push = ctx.connect(ZMQ::PUSH, pull.endpoint)
      push.send("over tcp")
      expect(recv_within(pull)).to eq("over tcp")
      expect { ctx.bind(:NOPE, "inproc://x") }.to raise_error(NameError)
      expect { ctx.bind(:PULL, "bad uri") }.to raise_error(Errno::EINVAL)
      expect { ctx.connect(:PAIR, "tcp://127.0.0.1:1") }.to raise_error(ZMQ::Error, /inproc/)
    end
  end

  describe "iothreads= and linger=" do
    it "iothreads= before the first socket takes effect (0 threads: tcp refused)" do
      c = ZMQ::Context.new
      c.iothreads = 0
      expect { c.bind(:PUB, "tcp://127.0.0.1:*") }.to raise_error(ZMQ::Error, /no I\/O thread/)
    end

    it "the context's linger is used at close, whatever the socket's linger says" do
      ctx.linger = 2000
      push = ctx.socket(:PUSH)
      push.linger = 0 # accepted, but the context's linger wins (rbczmq)
      port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
      push.connect("tcp://127.0.0.1:#{port}")
      push.send("late") # queued: nobody listens yet
      push.close
      # The peer turns up within the context's linger and still gets the message.
      pull = ctx.socket(:PULL)
      pull.bind("tcp://127.0.0.1:#{port}")
      expect(recv_within(pull, 5000)).to eq("late")
    end

    it "with the default 1 ms linger, destroy does not wait for undeliverable messages" do
      push = ctx.socket(:PUSH)
      push.connect("tcp://127.0.0.1:1")
      push.sndtimeo = 0
      push.send("dropped")
      t = monotonic
      ctx.destroy
      expect(monotonic - t).to be < 0.5
    end
  end

  describe "#destroy" do
    it "wakes every kind of blocked call in other threads" do
      pull = ctx.socket(:PULL)
      pull.bind("inproc://lifecycle-wake-recv")
      push = ctx.socket(:PUSH)
      push.sndhwm = 1
      push.bind("inproc://lifecycle-wake-send") # no peer: send blocks
      rep = ctx.socket(:REP)
      rep.bind("inproc://lifecycle-wake-poll")
      threads = [
        Thread.new { pull.recv },
        Thread.new { pull.recv_frame },
        Thread.new do
          push.send("blocked")
        rescue SystemCallError => e
          e # rbczmq's rule: a send failing with ETERM raises SystemCallError
        end,
        Thread.new { rep.poll(-1) }
      ]
      wait_until { threads.all? { |t| t.status == "sleep" } }
      ctx.destroy
      results = threads.map { |t| t.join(5) ? t.value : :still_blocked }
      expect(results[0]).to be_nil, results.inspect
      expect(results[1]).to be_nil, results.inspect
      expect(results[2]).to be_a(SystemCallError), results.inspect
      expect(results[2].errno).to eq(ZMQ::ETERM)
      expect(results[2].message).to eq("Unknown error #{ZMQ::ETERM} - Context was terminated")
      expect(results[3]).to be(false), results.inspect
    end

    it "closes sockets made in other threads too, and their objects raise ZMQ::Error" do
      sock = Thread.new { ctx.socket(:DEALER).tap { |s| s.bind("inproc://lifecycle-thread") } }.value
      ctx.destroy
      expect { sock.send("x") }.to raise_error(ZMQ::Error, /ZMQ::Socket instance \w* has been destroyed/)
      expect { sock.endpoints }.to raise_error(ZMQ::Error, /has been destroyed/)
    end

    it "runs at exit for a context nobody destroyed (the process ends promptly)" do
      script = 'c = ZMQ::Context.new; s = c.socket(:PUSH); s.connect("tcp://127.0.0.1:1"); s.sndtimeo = 0; s.send("x"); puts "done"'
      out, status = Open3.capture2e(RbConfig.ruby, "-I", lib, "-rzmq", "-e", script)
      expect([out, status.success?]).to eq(["done\n", true])
    end
  end

  describe "fork" do
    it "a child makes its own context and talks tcp while the parent's sockets keep working" do
      parent_pull = ctx.socket(:PULL)
      endpoint = bind_any(parent_pull, :tcp)
      parent_push = ctx.socket(:PUSH)
      parent_push.connect(endpoint)
      parent_push.send("before fork")
      expect(recv_within(parent_pull)).to eq("before fork")

      reader, writer = IO.pipe
      pid = fork do
        reader.close
        out = []
        out << ZMQ.context.inspect
        begin
          ctx.linger = 1
        rescue ZMQ::Error => e
          out << e.message
        end
        child = ZMQ::Context.new
        pull = child.socket(:PULL)
        push = child.socket(:PUSH)
        push.connect(bind_any(pull, :tcp))
        3.times { |i| push.send("child #{i}") }
        pull.rcvtimeo = 5000
        out.concat(Array.new(3) { pull.recv })
        # The child can also reach the parent's listener as a new peer.
        to_parent = child.socket(:PUSH)
        to_parent.connect(endpoint)
        to_parent.send("hello from child")
        to_parent.close
        child.destroy
        writer.write(Marshal.dump(out))
        writer.close
        exit!(0)
      end
      writer.close
      # Meanwhile the parent keeps using its sockets.
      10.times do |i|
        parent_push.send("parent #{i}")
      end
      got = Array.new(11) { recv_within(parent_pull) }
      result = Marshal.load(reader.read) # rubocop:disable Security/MarshalLoad
      _, status = Process.wait2(pid)
      expect(status).to be_success
      expect(result).to eq(["nil", "ZMQ::Context instance belongs to another process. Create a new context for this process!",
                            "child 0", "child 1", "child 2"])
      expect(got.sort).to eq((Array.new(10) { |i| "parent #{i}" } + ["hello from child"]).sort)
      parent_push.send("after child exit")
      expect(recv_within(parent_pull)).to eq("after child exit")
    end

    it "the parent's socket objects are left alone in the child (GC there closes nothing)" do
      pull = ctx.socket(:PULL)
      endpoint = bind_any(pull, :tcp)
      pid = fork do
        ObjectSpace.each_object(ZMQ::Socket).count # touch them
        GC.start
        exit!(0)
      end
      Process.wait(pid)
      push = ctx.socket(:PUSH)
      push.connect(endpoint)
      push.send("still mine")
      expect(recv_within(pull)).to eq("still mine")
    end

    it "a child sending on its parent's socket writes nothing into the parent's connection" do
      rep = ctx.socket(:REP)
      endpoint = bind_any(rep, :tcp)
      req = ctx.socket(:REQ)
      req.connect(endpoint)
      # A round trip leaves the connection idle with input just received: the state in
      # which the sending thread may write to the connection itself.
      req.send("ping")
      expect(recv_within(rep)).to eq("ping")
      rep.send("pong")
      expect(recv_within(req)).to eq("pong")
      pid = fork do
        req.send("from the child") # queued in the child's copy, never written
        exit!(0)
      end
      _, status = Process.wait2(pid)
      expect(status).to be_success
      req.send("from the parent")
      expect(recv_within(rep)).to eq("from the parent")
    end
  end
end
