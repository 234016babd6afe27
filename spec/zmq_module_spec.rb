# frozen_string_literal: true

require "open3"
require "rbconfig"
require_relative "support/zmq_helpers"

RSpec.describe ZMQ do
  lib = File.expand_path("../lib", __dir__)

  def ruby_out(lib, script, *requires)
    args = requires.flat_map { |r| ["-r", r] }
    out, err, status = Open3.capture3(RbConfig.ruby, "-I", lib, *args, "-e", script)
    expect(status).to be_success, "#{out}\n#{err}"
    out
  end

  describe "loading" do
    it "sets ENV['RBXOPT'] like rbczmq" do
      expect(ENV.fetch("RBXOPT", nil)).to eq("-Xrbc.db")
    end

    it "works through require 'rbczmq' and 'zmq' alike" do
      script = 'print [ZMQ::VERSION, ZMQ::Context.class, ZMQ::Socket::Pub.superclass, ZMQ::Error.superclass].inspect'
      expected = '["1.8.1", Class, ZMQ::Socket, StandardError]'
      expect(ruby_out(lib, script, "rbczmq")).to eq(expected)
      expect(ruby_out(lib, script, "zmq")).to eq(expected)
    end

    it "defines ZMQ::Error < StandardError and the socket classes" do
      expect(ZMQ::Error.superclass).to eq(StandardError)
      %w[Pub Sub Push Pull Pair Req Rep Router Dealer Stream XPub XSub].each do |name|
        expect(ZMQ::Socket.const_get(name).superclass).to eq(ZMQ::Socket)
      end
      expect(ZMQ::UpstreamSocket).to be_an_instance_of(Module)
      expect(ZMQ::DownstreamSocket).to be_an_instance_of(Module)
    end

    it "lets programs reopen ZMQ::Socket" do
      ZMQ::Socket.class_eval { def spec_reopened? = true }
      sock = ctx.socket(:PAIR)
      expect(sock.spec_reopened?).to be(true)
    ensure
      ZMQ::Socket.send(:remove_method, :spec_reopened?)
    end
  end

  describe "constants" do
    it "has libzmq 4.0.7's socket type numbers" do
      expect([ZMQ::PAIR, ZMQ::PUB, ZMQ::SUB, ZMQ::REQ, ZMQ::REP, ZMQ::DEALER, ZMQ::ROUTER, ZMQ::PULL,
              ZMQ::PUSH, ZMQ::XPUB, ZMQ::XSUB, ZMQ::STREAM]).to eq((0..11).to_a)
    end

    it "has the poll, error, event and state values" do
      expect([ZMQ::POLLIN, ZMQ::POLLOUT, ZMQ::POLLERR]).to eq([1, 2, 4])
      expect([ZMQ::EFSM, ZMQ::ENOCOMPATPROTO, ZMQ::ETERM, ZMQ::EMTHREAD])
        .to eq([156_384_763, 156_384_764, 156_384_765, 156_384_766])
      expect([ZMQ::EVENT_CONNECTED, ZMQ::EVENT_CONNECT_DELAYED, ZMQ::EVENT_CONNECT_RETRIED,
              ZMQ::EVENT_LISTENING, ZMQ::EVENT_BIND_FAILED, ZMQ::EVENT_ACCEPTED, ZMQ::EVENT_ACCEPT_FAILED,
              ZMQ::EVENT_CLOSED, ZMQ::EVENT_CLOSE_FAILED, ZMQ::EVENT_DISCONNECTED])
        .to eq([1, 2, 4, 8, 16, 32, 64, 128, 256, 512])
      expect(ZMQ::EVENT_ALL).to eq(2047)
      expect([ZMQ::Socket::PENDING, ZMQ::Socket::BOUND, ZMQ::Socket::CONNECTED, ZMQ::Socket::DISCONNECTED])
        .to eq([1, 2, 4, 8])
      expect([ZMQ::Frame::MORE, ZMQ::Frame::REUSE, ZMQ::Frame::DONTWAIT]).to eq([1, 2, 4])
      expect(ZMQ::VERSION).to eq("1.8.1")
    end

    it "does not define constants rbczmq lacks" do
      %i[SNDMORE DONTWAIT NOBLOCK HWM IDENTITY LINGER EAGAIN EVENT_MONITOR_STOPPED].each do |name|
        expect(ZMQ.const_defined?(name, false)).to be(false), name.to_s
      end
    end

    it "keeps rbczmq's PROTO_REXP and the PAIR inproc regexp" do
      expect(ZMQ::Socket::PROTO_REXP).to match("tcp://127.0.0.1:5555")
      expect(ZMQ::Socket::PROTO_REXP).to match("inproc://x")
      expect(ZMQ::Socket::PROTO_REXP).not_to match("service.example.com")
      expect(ZMQ::Socket::Pair::REXP_INPROC).to match("xx inproc://a")
    end
  end

  describe "module functions" do
    it "reports a libzmq version speaking ZMTP 3 and czmq 2.0.1" do
      expect(ZMQ.version).to eq([4, 0, 7])
      expect(ZMQ.czmq_version).to eq([2, 0, 1])
    end

    it "gives the true 64-bit wall-clock time in ms" do
      expect(ZMQ.now).to be_a(Integer)
      expect(ZMQ.now).to be_within(2000).of((Time.now.to_f * 1000).to_i)
    end

    it "logs literally to stdout with a timestamp and returns nil" do
      out = ruby_out(lib, 'p ZMQ.log("100%s %d \0 done")', "zmq")
      expect(out.b).to match(/\A\d\d-\d\d-\d\d \d\d:\d\d:\d\d 100%s %d \x00 done\nnil\n\z/n)
    end

    it "refuses a non-String log line" do
      expect { ZMQ.log(1) }.to raise_error(TypeError, "wrong argument type Integer (expected String)")
    end

    it "reports the last zmq error of the calling thread" do
      expect(ZMQ.errno).to be_a(Integer)
      sock = ctx.socket(:PULL)
      sock.bind("inproc://errno")
      expect(sock.recv_nonblock).to be_nil
      expect(ZMQ.errno).to eq(Errno::EAGAIN::Errno)
      expect(ZMQ.error).to be_a(ZMQ::Error)
      expect(ZMQ.error.message).to eq("Resource temporarily unavailable")
      expect(Thread.new { ZMQ.errno }.value).to eq(0)
      expect(Thread.new { ZMQ.error }.value).to be_nil
    end

    it "has a global interrupted flag that only interrupted! sets" do
      out = ruby_out(lib, "p ZMQ.interrupted?; p ZMQ.interrupted!; p ZMQ.interrupted?; p ZMQ.interrupted?", "zmq")
      expect(out).to eq("false\nnil\ntrue\ntrue\n")
    end

    it "are also private instance methods where ZMQ is included" do
      klass = Class.new { include ZMQ }
      expect(klass.new.send(:version)).to eq([4, 0, 7])
      expect { klass.new.version }.to raise_error(NoMethodError)
    end

    it "memoises a Resolv::DNS resolver" do
      expect(ZMQ.resolver).to be_a(Resolv::DNS)
      expect(ZMQ.resolver).to equal(ZMQ.resolver)
    end

    it "returns the live context from ZMQ.context" do
      expect(ZMQ.context).to be_nil
      expect(ZMQ.context).to be_nil
      c = ctx
      expect(ZMQ.context).to equal(c)
      c.destroy
      expect(ZMQ.context).to be_nil
    end
  end
end
