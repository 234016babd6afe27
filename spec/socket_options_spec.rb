# frozen_string_literal: true

require_relative "support/zmq_helpers"

RSpec.describe "ZMQ::Socket options" do
  let(:sock) { ctx.socket(:ROUTER) }

  it "have rbczmq's defaults" do
    expect(sock.sndhwm).to eq(1000)
    expect(sock.rcvhwm).to eq(1000)
    expect(sock.affinity).to eq(0)
    expect(sock.rate).to eq(100)
    expect(sock.recovery_ivl).to eq(10_000)
    expect(sock.maxmsgsize).to eq(-1)
    expect(sock.multicast_hops).to eq(1)
    expect(sock.ipv4only?).to be(true)
    expect(sock.sndbuf).to eq(0)
    expect(sock.rcvbuf).to eq(0)
    expect(sock.linger).to eq(-1)
    expect(sock.backlog).to eq(100)
    expect(sock.reconnect_ivl).to eq(100)
    expect(sock.reconnect_ivl_max).to eq(0)
    expect(sock.rcvtimeo).to eq(-1)
    expect(sock.sndtimeo).to eq(-1)
    expect(sock.rcvmore?).to be(false)
    expect(sock.events).to eq(ZMQ::POLLOUT)
    expect(sock.last_endpoint).to eq("")
  end

  it "round-trip every Integer option, and setters return nil" do
    {
      sndhwm: 500, rcvhwm: 600, affinity: 3, rate: 200, recovery_ivl: 5000, maxmsgsize: 1_000_000,
      multicast_hops: 4, sndbuf: 65_536, rcvbuf: 32_768, backlog: 50, reconnect_ivl: 250,
      reconnect_ivl_max: 1000, rcvtimeo: 300, sndtimeo: 400
    }.each do |name, value|
      expect(sock.__send__(:"#{name}=", value)).to be_nil
      expect(sock.public_send(name)).to eq(value), name.to_s
    end
    expect(sock.__send__(:ipv4only=, false)).to be_nil
    expect(sock.ipv4only?).to be(false)
    sock.ipv4only = true
    expect(sock.ipv4only?).to be(true)
  end

  it "accept linger= but report -1 (the context's linger is used at close)" do
    expect(sock.__send__(:linger=, 50)).to be_nil
    expect(sock.linger).to eq(-1)
  end

  it "need an Integer for Integer options" do
    expect { sock.sndhwm = "1" }.to raise_error(TypeError, "wrong argument type String (expected Integer)")
    expect { sock.rcvtimeo = 1.5 }.to raise_error(TypeError, "wrong argument type Float (expected Integer)")
    expect { sock.linger = nil }.to raise_error(TypeError, "wrong argument type nil (expected Integer)")
  end

  it "need exactly true or false for boolean options" do
    expect { sock.ipv4only = 1 }.to raise_error(TypeError, "wrong argument 1 (expected true or false)")
    expect { sock.router_mandatory = nil }.to raise_error(TypeError, "wrong argument  (expected true or false)")
    expect { sock.delay_attach_on_connect = "yes" }.to raise_error(TypeError, "wrong argument yes (expected true or false)")
  end

  it "refuse values libzmq refuses with Errno::EINVAL" do
    expect { sock.sndhwm = -1 }.to raise_error(Errno::EINVAL)
    expect { sock.rcvtimeo = -2 }.to raise_error(Errno::EINVAL)
    expect { sock.rate = 0 }.to raise_error(Errno::EINVAL)
  end

  it "accept the boolean setters on the socket types they apply to" do
    expect(sock.__send__(:router_mandatory=, true)).to be_nil
    expect(sock.__send__(:router_mandatory=, false)).to be_nil
    expect(sock.__send__(:router_raw=, false)).to be_nil
    expect(ctx.socket(:XPUB).__send__(:xpub_verbose=, true)).to be_nil
    expect(ctx.socket(:DEALER).__send__(:delay_attach_on_connect=, true)).to be_nil
  end

  it "refuse router and xpub options on other socket types (Errno::EINVAL)" do
    dealer = ctx.socket(:DEALER)
    expect { dealer.router_mandatory = true }.to raise_error(Errno::EINVAL)
    expect { ctx.socket(:PUB).xpub_verbose = true }.to raise_error(Errno::EINVAL)
  end

  it "router_mandatory makes sends to unknown peers raise Errno::EHOSTUNREACH" do
    sock.bind("inproc://mandatory")
    expect(sock.sendm("nobody")).to be(true)
    expect(sock.send("dropped")).to be(true)
    sock.router_mandatory = true
    # libzmq reports it on the identity frame; the engine sends whole messages, so it is
    # reported when the last part is sent.
    sock.sendm("nobody")
    expect { sock.send("body") }.to raise_error(Errno::EHOSTUNREACH, "No route to host - No route to host")
  end

  describe "identity=" do
    it "is set on REQ, REP, DEALER, ROUTER and STREAM and seen by a ROUTER peer" do
      %i[REQ REP DEALER ROUTER STREAM].each do |type|
        expect(ctx.socket(type).__send__(:identity=, "id-#{type}")).to be_nil
      end
      router = ctx.socket(:ROUTER)
      dealer = ctx.socket(:DEALER)
      dealer.identity = "dealer-1"
      dealer.connect(bind_any(router, :tcp))
      dealer.send("hi")
      expect(recv_within(router)).to eq("dealer-1")
      expect(router.recv).to eq("hi")
    end

    it "must be 1 to 255 bytes without NUL" do
      dealer = ctx.socket(:DEALER)
      expect { dealer.identity = "" }.to raise_error(ZMQ::Error, "socket identity cannot be empty.")
      expect { dealer.identity = "x" * 256 }.to raise_error(ZMQ::Error, "maximum socket identity is 255 chars.")
      expect { dealer.identity = "a\0b" }.to raise_error(ArgumentError, "string contains null byte")
      expect { dealer.identity = :sym }.to raise_error(TypeError, "wrong argument type Symbol (expected String)")
      expect(dealer.__send__(:identity=, "x" * 255)).to be_nil
    end

    it "is refused on other socket types" do
      expect { ctx.socket(:PUB).identity = "x" }.to raise_error(ZMQ::Error, "Socket option not supported on a PUB socket!")
      expect { ctx.socket(:PAIR).identity = "x" }.to raise_error(ZMQ::Error, /PAIR/)
    end

    it "has no getter" do
      expect(sock).not_to respond_to(:identity)
    end
  end

  describe "subscribe and unsubscribe" do
    it "are SUB only (XSUB included in the refusal)" do
      %i[PUB XSUB XPUB PULL].each do |type|
        s = ctx.socket(type)
        expect { s.subscribe("x") }.to raise_error(ZMQ::Error, "Socket option not supported on a #{type} socket!")
        expect { s.unsubscribe("x") }.to raise_error(ZMQ::Error, "Socket option not supported on a #{type} socket!")
      end
    end

    it "take a String without NUL and return nil" do
      sub = ctx.socket(:SUB)
      expect(sub.subscribe("")).to be_nil
      expect(sub.subscribe("topic")).to be_nil
      expect(sub.unsubscribe("topic")).to be_nil
      expect { sub.subscribe("a\0b") }.to raise_error(ArgumentError, "string contains null byte")
      expect { sub.subscribe(nil) }.to raise_error(TypeError, "wrong argument type nil (expected String)")
    end
  end

  it "getters and setters work from any thread (zmq-rs: sockets are thread-safe)" do
    value = Thread.new do
      sock.sndhwm = 77
      sock.sndhwm
    end.value
    expect(value).to eq(77)
  end

  it "an unknown option name is an ArgumentError" do
    expect { sock.__getopt(:nope) }.to raise_error(ArgumentError, /unknown socket option nope/)
  end
end
