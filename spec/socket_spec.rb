# frozen_string_literal: true

require "socket"
require_relative "support/zmq_helpers"

RSpec.describe ZMQ::Socket do
  def refused?(port)
    TCPSocket.new("127.0.0.1", port).close
    false
  rescue Errno::ECONNREFUSED
    true
  end

  def free_tcp_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end

  describe "a new socket" do
    it "is PENDING, with no endpoints and fd -1" do
      sock = ctx.socket(:PAIR)
      expect(sock.state).to eq(ZMQ::Socket::PENDING)
      expect(sock.endpoints).to eq([])
      expect(sock.endpoints).to equal(sock.endpoints)
      expect(sock.endpoint).to be_nil
      expect(sock.last_endpoint).to eq("")
      expect(sock.fd).to eq(-1)
      expect(sock.to_i).to eq(-1)
      expect(sock.to_s).to eq("PAIR socket")
      expect(sock.rcvmore?).to be(false)
      expect(sock.inspect).to match(/\A#<ZMQ::Socket::Pair:0x\h+>\z/)
    end

    it "refuses send and recv until bound or connected" do
      sock = ctx.socket(:DEALER)
      expect { sock.send("x") }.to raise_error(ZMQ::Error, "can only send on a bound or connected socket!")
      expect { sock.sendm("x") }.to raise_error(ZMQ::Error, "can only send on a bound or connected socket!")
      expect { sock.recv }.to raise_error(ZMQ::Error, "can only receive on a bound or connected socket!")
      expect { sock.recv_nonblock }.to raise_error(ZMQ::Error, "can only receive on a bound or connected socket!")
      expect { sock.send_frame(ZMQ::Frame("x")) }.to raise_error(ZMQ::Error, /can only send/)
      expect { sock.send_message(ZMQ::Message("x")) }.to raise_error(ZMQ::Error, /can only send/)
      expect { sock.recv_frame }.to raise_error(ZMQ::Error, /can only receive/)
      expect { sock.recv_frame_nonblock }.to raise_error(ZMQ::Error, /can only receive/)
      expect { sock.recv_message }.to raise_error(ZMQ::Error, /can only receive/)
    end

    it "is writable on a fresh ROUTER (events == POLLOUT)" do
      router = ctx.socket(:ROUTER)
      expect(router.events).to eq(ZMQ::POLLOUT)
      expect(router.writable?).to be(true)
      expect(router.readable?).to be(false)
    end
  end

  describe "#bind" do
    it "returns the real port for tcp://127.0.0.1:* and accepts TCP connections there" do
      sock = ctx.socket(:REP)
      port = sock.bind("tcp://127.0.0.1:*")
      expect(port).to be_a(Integer).and be > 0
      expect(sock.state).to eq(ZMQ::Socket::BOUND)
      expect(sock.endpoints).to eq(["tcp://127.0.0.1:#{port}"])
      expect(sock.last_endpoint).to eq("tcp://127.0.0.1:#{port}")
      expect(sock.to_s).to eq("REP socket bound to tcp://127.0.0.1:#{port}")
      expect(sock.fd).to be >= 0
      expect(sock.to_i).to eq(sock.fd)
      expect { TCPSocket.new("127.0.0.1", port).close }.not_to raise_error
    end

    it "records tcp://*:* resolved as tcp://0.0.0.0:PORT" do
      sock = ctx.socket(:PUB)
      port = sock.bind("tcp://*:*")
      expect(sock.endpoints).to eq(["tcp://0.0.0.0:#{port}"])
      expect(sock.endpoints.first.encoding).to eq(Encoding::BINARY)
    end

    it "returns the given port, and 0 for :0, inproc and ipc" do
      sock = ctx.socket(:PUB)
      port = free_tcp_port
      expect(sock.bind("tcp://127.0.0.1:#{port}")).to eq(port)
      expect(sock.bind("tcp://127.0.0.1:0")).to eq(0)
      expect(sock.endpoints.last).to match(%r{\Atcp://127\.0\.0\.1:[1-9]\d*\z})
      expect(sock.bind("inproc://bind-port")).to eq(0)
      expect(sock.bind("ipc://#{Dir.tmpdir}/zmqrs-bind-#{Process.pid}.ipc")).to eq(0)
      expect(sock.endpoints.size).to eq(4)
    end

    it "binds tcp://localhost:PORT (libzmq 4.3 behaviour, a zmq-rs decision)" do
      sock = ctx.socket(:PULL)
      port = free_tcp_port
      expect(sock.bind("tcp://localhost:#{port}")).to eq(port)
    end

    it "lists every endpoint after two binds" do
      sock = ctx.socket(:REP)
      p1 = sock.bind("tcp://127.0.0.1:*")
      p2 = sock.bind("tcp://127.0.0.1:*")
      expect(sock.endpoints).to eq(["tcp://127.0.0.1:#{p1}", "tcp://127.0.0.1:#{p2}"])
      expect(sock.endpoint).to eq("tcp://127.0.0.1:#{p1}")
      expect(sock.to_s).to eq("REP socket bound to tcp://127.0.0.1:#{p1}, tcp://127.0.0.1:#{p2}")
    end

    it "raises SystemCallError for bad endpoints" do
      sock = ctx.socket(:PUB)
      expect { sock.bind("bad uri") }.to raise_error(Errno::EINVAL, "Invalid argument - Invalid argument")
      expect { sock.bind("tcp://127.0.0.1") }.to raise_error(Errno::EINVAL)
      expect { sock.bind("foo://bar") }.to raise_error(Errno::EPROTONOSUPPORT)
      expect { sock.bind("pgm://eth0;239.192.1.1:5555") }.to raise_error(Errno::EPROTONOSUPPORT)
      expect(sock.state).to eq(ZMQ::Socket::PENDING)
    end

    it "raises Errno::EADDRINUSE for a port in use" do
      a = ctx.socket(:PUB)
      b = ctx.socket(:PUB)
      port = a.bind("tcp://127.0.0.1:*")
      expect { b.bind("tcp://127.0.0.1:#{port}") }
        .to raise_error(Errno::EADDRINUSE, "Address already in use - Address already in use")
      expect(ZMQ.errno).to eq(Errno::EADDRINUSE::Errno)
    end

    it "binds a network interface by its name, as libzmq 4.0 does" do
      inet = Socket.getifaddrs.select { |i| i.addr&.ipv4? }
      expect(inet.map(&:name)).to include("lo")
      inet.each do |nic|
        sock = ctx.socket(:PULL)
        port = sock.bind("tcp://#{nic.name}:*")
        expect(sock.endpoints).to eq(["tcp://#{nic.addr.ip_address}:#{port}"])
        TCPSocket.new(nic.addr.ip_address, port).close # really listening there
        sock.close
      end
      expect { ctx.socket(:PULL).bind("tcp://no-such-nic0:*") }.to raise_error(Errno::ENODEV)
    end

    it "raises Errno::EINVAL when connecting to a host name that does not resolve" do
      sock = ctx.socket(:PUSH)
      expect { sock.connect("tcp://no-such-host.invalid:5000") }.to raise_error(Errno::EINVAL)
      expect(sock.state).to eq(ZMQ::Socket::PENDING)
    end

    it "takes over an ipc path another socket is bound to, as libzmq does" do
      path = File.join(Dir.tmpdir, "zmq-rs-takeover-#{Process.pid}.ipc")
      old = ctx.socket(:PULL)
      new = ctx.socket(:PULL)
      push = ctx.socket(:PUSH)
      expect([old.bind("ipc://#{path}"), new.bind("ipc://#{path}")]).to eq([0, 0])
      push.connect("ipc://#{path}")
      push.send("to the new binder")
      new.rcvtimeo = 5000
      expect(new.recv).to eq("to the new binder")
      old.close
      expect(File.exist?(path)).to be(true) # the old socket leaves the new one's file
      new.close
      expect(File.exist?(path)).to be(false)
    end

    it "checks the argument type" do
      sock = ctx.socket(:PUB)
      expect { sock.real_bind(5555) }.to raise_error(TypeError, "wrong argument type Integer (expected String)")
      expect { sock.bind(nil) }.to raise_error(TypeError, "wrong argument type nil (expected String)")
      expect { sock.real_connect(:sym) }.to raise_error(TypeError, "wrong argument type Symbol (expected String)")
    end

    it "uses the URI unchanged when the SRV lookup finds nothing" do
      sock = ctx.socket(:PUB)
      expect { sock.bind("nothing-here.invalid") }.to raise_error(Errno::EINVAL)
    end
  end

  describe "#connect" do
    it "returns true, records the endpoint as given and becomes CONNECTED" do
      server = ctx.socket(:PULL)
      port = server.bind("tcp://127.0.0.1:*")
      sock = ctx.socket(:PUSH)
      expect(sock.connect("tcp://localhost:#{port}")).to be(true)
      expect(sock.state).to eq(ZMQ::Socket::CONNECTED)
      expect(sock.endpoints).to eq(["tcp://localhost:#{port}"])
      expect(sock.last_endpoint).to eq("tcp://localhost:#{port}")
      expect(sock.to_s).to eq("PUSH socket connected to tcp://localhost:#{port}")
      sock.send("via localhost")
      expect(recv_within(server)).to eq("via localhost")
    end

    it "allows inproc connect before bind" do
      push = ctx.socket(:PUSH)
      expect(push.connect("inproc://later")).to be(true)
      push.send("early")
      pull = ctx.socket(:PULL)
      pull.bind("inproc://later")
      expect(recv_within(pull)).to eq("early")
    end

    it "raises SystemCallError for bad endpoints" do
      sock = ctx.socket(:SUB)
      expect { sock.connect("bad uri") }.to raise_error(Errno::EINVAL)
      expect { sock.connect("tcp://127.0.0.1://15556") }.to raise_error(Errno::EINVAL)
      expect { sock.connect("tcp://127.0.0.1:*") }.to raise_error(Errno::EINVAL)
      expect { sock.connect("udp://127.0.0.1:5") }.to raise_error(Errno::EPROTONOSUPPORT)
    end

    it "connect_all connects a transport URI and returns nil" do
      server = ctx.socket(:PULL)
      endpoint = bind_any(server, :inproc)
      sock = ctx.socket(:PUSH)
      expect(sock.connect_all(endpoint)).to be_nil
      expect(sock.state).to eq(ZMQ::Socket::CONNECTED)
      expect(sock.endpoints).to eq([endpoint])
    end
  end

  describe "#unbind and #disconnect" do
    it "unbind removes the endpoint, and the socket is DISCONNECTED when none is left" do
      sock = ctx.socket(:ROUTER)
      p1 = sock.bind("tcp://127.0.0.1:*")
      p2 = sock.bind("tcp://127.0.0.1:*")
      expect(sock.unbind("tcp://127.0.0.1:#{p1}")).to be(true)
      expect(sock.endpoints).to eq(["tcp://127.0.0.1:#{p2}"])
      expect(sock.state).to eq(ZMQ::Socket::BOUND)
      expect(sock.unbind("tcp://127.0.0.1:#{p2}")).to be(true)
      expect(sock.endpoints).to eq([])
      expect(sock.state).to eq(ZMQ::Socket::DISCONNECTED)
      expect(sock.fd).to eq(-1)
      expect { sock.recv_nonblock }.to raise_error(ZMQ::Error, "can only receive on a bound or connected socket!")
      expect { sock.send("x") }.to raise_error(ZMQ::Error, "can only send on a bound or connected socket!")
    end

    it "unbind releases the port" do
      sock = ctx.socket(:PULL)
      port = sock.bind("tcp://127.0.0.1:*")
      sock.unbind("tcp://127.0.0.1:#{port}")
      wait_until { refused?(port) }
      other = ctx.socket(:PULL)
      expect(other.bind("tcp://127.0.0.1:#{port}")).to eq(port)
    end

    it "disconnect returns true and removes the endpoint" do
      server = ctx.socket(:PULL)
      endpoint = bind_any(server, :tcp)
      sock = ctx.socket(:PUSH)
      sock.connect(endpoint)
      expect(sock.disconnect(endpoint)).to be(true)
      expect(sock.endpoints).to eq([])
      expect(sock.state).to eq(ZMQ::Socket::DISCONNECTED)
    end

    it "raise SystemCallError for an unknown or malformed endpoint" do
      sock = ctx.socket(:PUSH)
      sock.connect("inproc://known")
      expect { sock.disconnect("invalid") }.to raise_error(Errno::EINVAL)
      expect { sock.disconnect("tcp://127.0.0.1:9") }.to raise_error(Errno::ENOENT)
      expect { sock.unbind("inproc://never") }.to raise_error(Errno::ENOENT)
      expect { sock.disconnect(1) }.to raise_error(TypeError)
    end
  end

  describe "#close" do
    it "returns nil; afterwards every method raises ZMQ::Error, inspect still works" do
      sock = ctx.socket(:REQ)
      sock.bind("inproc://close")
      expect(sock.close).to be_nil
      message = /\AZMQ::Socket instance 0x\h+ has been destroyed by the ZMQ framework\z/
      %i[state to_s endpoints endpoint last_endpoint fd to_i events readable? rcvmore? recv close
         sndhwm rcvtimeo linger].each do |name|
        expect { sock.public_send(name) }.to raise_error(ZMQ::Error, message), name.to_s
      end
      expect { sock.send("x") }.to raise_error(ZMQ::Error, message)
      expect { sock.bind("inproc://x") }.to raise_error(ZMQ::Error, message)
      expect { sock.connect("inproc://x") }.to raise_error(ZMQ::Error, message)
      expect { sock.sndhwm = 5 }.to raise_error(ZMQ::Error, message)
      expect { sock.identity = "x" }.to raise_error(ZMQ::Error, message)
      expect { sock.poll(0) }.to raise_error(ZMQ::Error, message)
      expect(sock.inspect).to match(/\A#<ZMQ::Socket::Req:0x\h+>\z/)
    end

    it "releases the port" do
      sock = ctx.socket(:REP)
      port = sock.bind("tcp://127.0.0.1:*")
      sock.close
      expect(wait_until { refused?(port) }).to be(true)
    end

    it "wakes a thread blocked in recv on that socket, which gets nil" do
      sock = ctx.socket(:PULL)
      sock.bind("inproc://close-wake")
      thread = Thread.new { sock.recv }
      wait_until { thread.status == "sleep" }
      sock.close
      expect(thread.join(5)&.value).to be_nil
    end

    it "is what GC does to a socket nobody closed" do
      port = nil
      make = lambda do
        s = ctx.socket(:REP)
        port = s.bind("tcp://127.0.0.1:*")
        nil
      end
      make.call
      refused = wait_until(10, "socket was never collected") do
        GC.start(full_mark: true, immediate_sweep: true)
        refused?(port)
      end
      expect(refused).to be(true)
    end
  end

  describe "#send and #recv" do
    it "carry bytes exactly: NULs, %, any encoding; received Strings are ASCII-8BIT" do
      ZmqHelpers::TRANSPORTS.each do |transport|
        pull, push = pair_of(:PULL, :PUSH, transport)
        payloads = ["", "%s%d%n", "a\0b\0\0", "h\u00e9llo \u{1F600}", "\xFF\xFE\x00".b,
                    "caf\xE9".dup.force_encoding(Encoding::ISO_8859_1), "x" * 1_000_000]
        payloads.each do |payload|
          expect(push.send(payload)).to be(true)
          got = recv_within(pull)
          expect(got.encoding).to eq(Encoding::BINARY)
          expect(got).to eq(payload.b), "#{transport}: #{payload.b[0, 20].inspect}"
        end
      end
    end

    it "leaves the sent String unchanged and accepts anything with to_str" do
      pull, push = pair_of(:PULL, :PUSH, :inproc)
      str = +"keep me"
      push.send(str)
      expect(str).to eq("keep me")
      expect(str.frozen?).to be(false)
      stringish = Object.new
      def stringish.to_str = "via to_str"
      push.send(stringish)
      push.send(ZMQ::Frame("a frame"))
      expect([recv_within(pull), recv_within(pull), recv_within(pull)]).to eq(["keep me", "via to_str", "a frame"])
    end

    it "refuses what is not a String" do
      _pull, push = pair_of(:PULL, :PUSH, :inproc)
      expect { push.send(1) }.to raise_error(TypeError, "no implicit conversion of Integer into String")
      expect { push.send(nil) }.to raise_error(TypeError, "no implicit conversion of nil into String")
      expect { push.sendm(:sym) }.to raise_error(TypeError, "no implicit conversion of Symbol into String")
    end

    it "sendm sends with MORE; rcvmore? tells the receiver" do
      pull, push = pair_of(:PULL, :PUSH, :tcp)
      expect(push.sendm("a")).to be(true)
      expect(push.sendm("b")).to be(true)
      expect(push.send("c")).to be(true)
      expect(recv_within(pull)).to eq("a")
      expect(pull.rcvmore?).to be(true)
      expect(pull.recv).to eq("b")
      expect(pull.rcvmore?).to be(true)
      expect(pull.recv).to eq("c")
      expect(pull.rcvmore?).to be(false)
    end

    it "recv_nonblock returns nil when nothing waits, then the message" do
      pull, push = pair_of(:PULL, :PUSH, :inproc)
      expect(pull.recv_nonblock).to be_nil
      push.send("now")
      expect(wait_until { pull.recv_nonblock }).to eq("now")
    end

    it "recv honours rcvtimeo and returns nil" do
      pull = ctx.socket(:PULL)
      pull.bind("inproc://rcvtimeo")
      pull.rcvtimeo = 300
      t = monotonic
      expect(pull.recv).to be_nil
      expect(monotonic - t).to be_within(0.15).of(0.3)
      expect(ZMQ.errno).to eq(Errno::EAGAIN::Errno)
    end

    it "send returns false when sndtimeo runs out (EAGAIN)" do
      push = ctx.socket(:PUSH)
      push.bind("inproc://nobody") # no peer: nowhere to send
      push.sndtimeo = 200
      t = monotonic
      expect(push.send("lost")).to be(false)
      expect(monotonic - t).to be_within(0.15).of(0.2)
    end

    it "send blocks while the peer's queue is full, and goes on when it drains" do
      pull, push = pair_of(:PULL, :PUSH, :inproc)
      push.sndhwm = 1
      pull.rcvhwm = 1
      push.sndtimeo = 0
      sent = 0
      sent += 1 while sent < 10_000 && push.send("m#{sent}")
      expect(sent).to be < 10_000
      push.sndtimeo = -1
      reader = Thread.new { Array.new(sent + 1) { pull.recv } }
      expect(push.send("last")).to be(true)
      expect(reader.join(5)&.value&.last).to eq("last")
    end
  end

  describe "#poll, #events, #readable?, #writable?" do
    it "poll(ms) is true once input is there and false after the timeout" do
      pull, push = pair_of(:PULL, :PUSH, :tcp)
      t = monotonic
      expect(pull.poll(100)).to be(false)
      expect(monotonic - t).to be >= 0.09
      push.send("x")
      expect(pull.poll(5000)).to be(true)
      expect(pull.readable?).to be(true)
      expect(pull.events & ZMQ::POLLIN).to eq(ZMQ::POLLIN)
      expect(pull.recv).to eq("x")
      expect(pull.poll(0)).to be(false)
      expect(pull.readable?).to be(false)
      expect(push.writable?).to be(true)
    end

    it "poll takes an Integer only and works in any state" do
      sock = ctx.socket(:PULL)
      expect { sock.poll(0.5) }.to raise_error(TypeError, "wrong argument type Float (expected Integer)")
      expect(sock.poll(10)).to be(false)
    end
  end

  describe "#verbose=" do
    it "returns nil and logs to stdout" do
      pull, push = pair_of(:PULL, :PUSH, :inproc)
      expect(push.__send__(:verbose=, true)).to be_nil
      reader, writer = IO.pipe
      saved = $stdout.dup
      $stdout.flush
      STDOUT.reopen(writer)
      push.send("hello")
      recv_within(pull)
      STDOUT.reopen(saved)
      writer.close
      expect(reader.read).to match(/PUSH.*5 bytes/)
      expect(push.__send__(:verbose=, false)).to be_nil
    end
  end

  describe "types" do
    {
      Pub: [ZMQ::PUB, "PUB"], Sub: [ZMQ::SUB, "SUB"], Push: [ZMQ::PUSH, "PUSH"], Pull: [ZMQ::PULL, "PULL"],
      Pair: [ZMQ::PAIR, "PAIR"], Req: [ZMQ::REQ, "REQ"], Rep: [ZMQ::REP, "REP"], Router: [ZMQ::ROUTER, "ROUTER"],
      Dealer: [ZMQ::DEALER, "DEALER"], Stream: [ZMQ::STREAM, "STREAM"], XPub: [ZMQ::XPUB, "XPUB"],
      XSub: [ZMQ::XSUB, "XSUB"]
    }.each do |name, (number, text)|
      it "#{name}: type #{number}, type_str #{text}, to_s" do
        sock = ctx.socket(number)
        expect(sock.class).to eq(ZMQ::Socket.const_get(name))
        expect(sock.type).to eq(number)
        expect(sock.type_str).to eq(text)
        expect(ZMQ::Socket.const_get(name)::TYPE_STR).to eq(text)
        expect(sock.to_s).to eq("#{text} socket")
      end
    end

    it "the base class has no type method" do
      expect(ZMQ::Socket.method_defined?(:type)).to be(false)
    end
  end

  describe "restricted APIs" do
    it "PUB and PUSH refuse every receive method, even when closed" do
      { PUB: "PUB", PUSH: "PUSH" }.each do |type, text|
        sock = ctx.socket(type)
        sock.close
        %i[recv recv_nonblock recv_frame recv_frame_nonblock recv_message].each do |name|
          expect { sock.public_send(name) }.to raise_error(ZMQ::Error, "API #{name} not supported for #{text} sockets!")
        end
        expect(sock.poll_readable?).to be(false)
        expect(sock.poll_writable?).to be(true)
      end
    end

    it "SUB and PULL refuse every send method" do
      { SUB: "SUB", PULL: "PULL" }.each do |type, text|
        sock = ctx.socket(type)
        %i[send sendm send_frame send_message].each do |name|
          expect { sock.public_send(name, "x") }.to raise_error(ZMQ::Error, "API #{name} not supported for #{text} sockets!")
        end
        expect(sock.poll_writable?).to be(false)
        expect(sock.poll_readable?).to be(true)
      end
    end

    it "PAIR binds and connects over inproc:// only (real_bind skips the check)" do
      pair = ctx.socket(:PAIR)
      expect { pair.bind("tcp://127.0.0.1:*") }
        .to raise_error(ZMQ::Error, "PAIR sockets can only listen using the inproc:// transport")
      expect { pair.connect("tcp://127.0.0.1:5555") }
        .to raise_error(ZMQ::Error, "PAIR sockets can only connect using the inproc:// transport")
      expect(pair.bind("inproc://pair-ok")).to eq(0)
      expect(pair.real_bind("tcp://127.0.0.1:*")).to be > 0
    end

    it "REQ and REP refuse sendm and send_frame with MORE" do
      %i[REQ REP].each do |type|
        sock = ctx.socket(type)
        expect { sock.sendm("x") }.to raise_error(ZMQ::Error, "API sendm not supported for #{type} sockets!")
        expect { sock.send_frame(ZMQ::Frame("x"), ZMQ::Frame::MORE) }
          .to raise_error(ZMQ::Error, "cannot send multiple frames on #{type} sockets")
      end
    end

    it "REQ turns EFSM into a ZMQ::Error explaining the alternation" do
      rep, req = pair_of(:REP, :REQ, :inproc)
      expect(req.send("one")).to be(true)
      expect { req.send("two") }.to raise_error(ZMQ::Error, /\AREQ sockets allows only an alternating sequence of send and receive calls/)
      expect(recv_within(rep)).to eq("one")
    end

    it "REP sending out of turn raises the REP ZMQ::Error; recv out of turn gives nil" do
      rep, req = pair_of(:REP, :REQ, :inproc)
      expect { rep.send("unasked") }.to raise_error(ZMQ::Error, /\AREP sockets allows only an alternating sequence of receive and subsequent send calls/)
      expect(req.recv_nonblock).to be_nil
      expect(ZMQ.errno).to eq(ZMQ::EFSM)
    end
  end
end
