# frozen_string_literal: true

require_relative "support/zmq_helpers"

# What spec/socket_options_spec.rb does not cover: the full accessor list of rbczmq-api.md
# section 3, options on closed sockets, option effects, and the per-type socket classes.
RSpec.describe "ZMQ::Socket options and per-type classes (gaps)" do
  INT_OPTIONS = %i[sndhwm rcvhwm affinity rate recovery_ivl maxmsgsize multicast_hops sndbuf rcvbuf
                   linger backlog reconnect_ivl reconnect_ivl_max rcvtimeo sndtimeo].freeze
  BOOL_SETTERS = %i[ipv4only= delay_attach_on_connect= router_mandatory= router_raw= xpub_verbose=].freeze

  it "has every accessor rbczmq has, and none of those it lacks" do
    sock = ctx.socket(:ROUTER)
    INT_OPTIONS.each do |name|
      expect(sock).to respond_to(name, :"#{name}=")
    end
    expect(sock).to respond_to(:ipv4only?, *BOOL_SETTERS, :identity=, :subscribe, :unsubscribe, :rcvmore?,
                               :events, :last_endpoint, :fd, :to_i)
    %i[identity hwm hwm= swap immediate= ipv6= conflate= probe_router= tcp_keepalive= delay_attach_on_connect
       router_mandatory router_raw xpub_verbose].each do |name|
      expect(sock).not_to respond_to(name)
    end
  end

  it "getters and setters raise ZMQ::Error on a closed socket" do
    sock = ctx.socket(:ROUTER)
    sock.close
    INT_OPTIONS.each do |name|
      expect { sock.public_send(name) }.to raise_error(ZMQ::Error, /has been destroyed/)
      expect { sock.public_send(:"#{name}=", 1) }.to raise_error(ZMQ::Error, /has been destroyed/)
    end
    expect { sock.ipv4only? }.to raise_error(ZMQ::Error, /has been destroyed/)
    BOOL_SETTERS.each { |name| expect { sock.public_send(name, true) }.to raise_error(ZMQ::Error, /has been destroyed/) }
    %i[rcvmore? events last_endpoint fd endpoints state].each do |name|
      expect { sock.public_send(name) }.to raise_error(ZMQ::Error, /has been destroyed/)
    end
    expect { sock.identity = "x" }.to raise_error(ZMQ::Error, /has been destroyed/)
    expect { sock.verbose = true }.to raise_error(ZMQ::Error, /has been destroyed/)
  end

  it "the defaults hold on every socket type" do
    %i[PAIR PUB SUB REQ REP DEALER ROUTER PULL PUSH XPUB XSUB STREAM].each do |type|
      sock = ctx.socket(type)
      expect([sock.sndhwm, sock.rcvhwm, sock.rate, sock.backlog, sock.reconnect_ivl, sock.rcvtimeo, sock.sndtimeo,
              sock.linger, sock.maxmsgsize]).to eq([1000, 1000, 100, 100, 100, -1, -1, -1, -1]), type.to_s
    end
  end

  it "refuses values libzmq refuses (Errno::EINVAL) and keeps the old value" do
    sock = ctx.socket(:DEALER)
    expect { sock.rcvhwm = -1 }.to raise_error(Errno::EINVAL)
    expect { sock.sndtimeo = -5 }.to raise_error(Errno::EINVAL)
    expect { sock.reconnect_ivl = -2 }.to raise_error(Errno::EINVAL)
    expect(sock.rcvhwm).to eq(1000)
    expect(sock.sndtimeo).to eq(-1)
    expect { sock.router_raw = true }.to raise_error(Errno::EINVAL)
    expect { sock.xpub_verbose = false }.to raise_error(Errno::EINVAL)
  end

  it "rcvtimeo = 0 makes recv non-blocking" do
    pull, = pair_of(:PULL, :PUSH, :tcp)
    pull.rcvtimeo = 0
    expect(pull.recv).to be_nil
  end

  it "maxmsgsize (set before bind, as libzmq applies it to new connections) drops a peer that sends more" do
    pull = ctx.socket(:PULL)
    pull.maxmsgsize = 4
    endpoint = bind_any(pull, :tcp)
    big = ctx.socket(:PUSH)
    big.connect(endpoint)
    big.send("too long")
    small = ctx.socket(:PUSH)
    small.connect(endpoint)
    small.send("ok")
    expect(recv_within(pull)).to eq("ok")
    expect(pull.poll(100)).to be(false)
  end

  it "rcvhwm/sndhwm bound the queue: with sndhwm 1 and nobody reading, a non-blocking send fills up" do
    push = ctx.socket(:PUSH)
    push.sndhwm = 1
    push.sndtimeo = 0
    pull = ctx.socket(:PULL)
    pull.rcvhwm = 1
    push.bind("inproc://opt-hwm")
    pull.connect("inproc://opt-hwm")
    results = Array.new(20) { push.send("m") }
    expect(results.first).to be(true)
    expect(results).to include(false)
  end

  it "xpub_verbose passes duplicate subscriptions up" do
    xpub = ctx.socket(:XPUB)
    xpub.xpub_verbose = true
    endpoint = bind_any(xpub, :inproc)
    subs = Array.new(2) { ctx.socket(:SUB).tap { |s| s.connect(endpoint) } }
    subs.each { |s| s.subscribe("topic") }
    expect(recv_within(xpub)).to eq("\x01topic")
    expect(recv_within(xpub)).to eq("\x01topic")
  end

  it "router_raw makes a ROUTER talk raw TCP, with no connect notice (libzmq 4.0)" do
    router = ctx.socket(:ROUTER)
    router.router_raw = true
    port = router.bind("tcp://127.0.0.1:*")
    client = TCPSocket.new("127.0.0.1", port)
    client.write("hello")
    router.rcvtimeo = 5000
    identity = router.recv
    expect(router.rcvmore?).to be(true)
    expect(router.recv).to eq("hello")
    router.sendm(identity)
    router.send("pong")
    expect(client.read(4)).to eq("pong")
  ensure
    client&.close
  end

  describe "STREAM" do
    def raw_server(notify: nil)
      server = ctx.socket(:STREAM)
      server.stream_notify = notify unless notify.nil?
      server.rcvtimeo = 5000
      [server, server.bind("tcp://127.0.0.1:*")]
    end

    it "delivers a raw peer's first bytes first, and nothing when it leaves (libzmq 4.0)" do
      server, port = raw_server
      expect(server.stream_notify?).to be(false)
      client = TCPSocket.new("127.0.0.1", port)
      client.write("hello")
      message = server.recv_message
      expect(message.size).to eq(2)
      identity = message.first.data
      expect(message.last.data).to eq("hello")
      server.sendm(identity)
      server.send("world")
      expect(client.read(5)).to eq("world")
      client.close
      server.rcvtimeo = 300
      expect(server.recv).to be_nil # no disconnect notice: the receive times out
    ensure
      client&.close unless client&.closed?
    end

    it "announces connect and disconnect as [identity, \"\"] with stream_notify = true" do
      server, port = raw_server(notify: true)
      expect(server.stream_notify?).to be(true)
      client = TCPSocket.new("127.0.0.1", port)
      identity = server.recv
      expect(server.recv).to eq("")
      client.write("hi")
      expect([server.recv, server.recv]).to eq([identity, "hi"])
      client.close
      expect([server.recv, server.recv]).to eq([identity, ""])
    ensure
      client&.close unless client&.closed?
    end

    it "refuses stream_notify on other socket types" do
      expect { ctx.socket(:DEALER).stream_notify = true }.to raise_error(Errno::EINVAL)
    end
  end

  describe "per-type classes" do
    it "XPUB and XSUB have TYPE_STR, type and to_s (a zmq-rs fix)" do
      xpub = ctx.socket(:XPUB)
      xsub = ctx.socket(:XSUB)
      expect([xpub.type, xpub.type_str, xpub.to_s]).to eq([ZMQ::XPUB, "XPUB", "XPUB socket"])
      expect([xsub.type, xsub.type_str, xsub.to_s]).to eq([ZMQ::XSUB, "XSUB", "XSUB socket"])
    end

    it "every class is a direct subclass of ZMQ::Socket" do
      %w[Pub Sub Push Pull Pair Req Rep Router Dealer Stream XPub XSub].each do |name|
        expect(ZMQ::Socket.const_get(name).superclass).to eq(ZMQ::Socket)
      end
      expect(ZMQ::Socket::Pub.include?(ZMQ::UpstreamSocket)).to be(true)
      expect(ZMQ::Socket::Push.include?(ZMQ::UpstreamSocket)).to be(true)
      expect(ZMQ::Socket::Sub.include?(ZMQ::DownstreamSocket)).to be(true)
      expect(ZMQ::Socket::Pull.include?(ZMQ::DownstreamSocket)).to be(true)
    end

    it "poll_readable?/poll_writable? follow the direction" do
      expect(ctx.socket(:PUB).poll_readable?).to be(false)
      expect(ctx.socket(:PUB).poll_writable?).to be(true)
      expect(ctx.socket(:SUB).poll_writable?).to be(false)
      expect(ctx.socket(:SUB).poll_readable?).to be(true)
      expect(ctx.socket(:DEALER).poll_readable?).to be(true)
    end

    it "the restrictions fire before the destroyed check" do
      pub = ctx.socket(:PUB)
      pub.close
      expect { pub.recv }.to raise_error(ZMQ::Error, "API recv not supported for PUB sockets!")
      pull = ctx.socket(:PULL)
      pull.close
      expect { pull.send_message(ZMQ::Message.new) }.to raise_error(ZMQ::Error, "API send_message not supported for PULL sockets!")
    end
  end

  describe "state, endpoints, last_endpoint, unbind, disconnect" do
    it "the latest bind/connect decides state; emptying endpoints makes it DISCONNECTED; close too" do
      sock = ctx.socket(:DEALER)
      tcp = sock.bind("tcp://127.0.0.1:*")
      expect(sock.state).to eq(ZMQ::Socket::BOUND)
      sock.connect("inproc://state-peer")
      expect(sock.state).to eq(ZMQ::Socket::CONNECTED)
      expect(sock.last_endpoint).to eq("inproc://state-peer")
      expect(sock.endpoints).to eq(["tcp://127.0.0.1:#{tcp}", "inproc://state-peer"])
      expect(sock.endpoints).to equal(sock.endpoints)
      expect(sock.unbind("tcp://127.0.0.1:#{tcp}")).to be(true)
      expect(sock.state).to eq(ZMQ::Socket::CONNECTED)
      expect(sock.disconnect("inproc://state-peer")).to be(true)
      expect(sock.state).to eq(ZMQ::Socket::DISCONNECTED)
      expect { sock.send("x") }.to raise_error(ZMQ::Error, "can only send on a bound or connected socket!")
      expect(sock.fd).to eq(-1)
    end

    it "unbind/disconnect check their argument" do
      sock = ctx.socket(:DEALER)
      expect { sock.unbind(nil) }.to raise_error(TypeError, "wrong argument type nil (expected String)")
      expect { sock.disconnect(1) }.to raise_error(TypeError, "wrong argument type Integer (expected String)")
      expect { sock.unbind("tcp://127.0.0.1:1") }.to raise_error(SystemCallError)
    end

    it "verbose= takes any value; only true turns it on" do
      sock = ctx.socket(:PAIR)
      expect(sock.__send__(:verbose=, 1)).to be_nil
      expect(sock.__send__(:verbose=, nil)).to be_nil
    end
  end
end
