# frozen_string_literal: true

require_relative "support/zmq_helpers"

RSpec.describe "Socket#monitor and ZMQ::Monitor" do
  # Records every callback in a Queue, so a spec can wait for an event without sleeping.
  let(:recorder_class) do
    Class.new(ZMQ::Monitor) do
      attr_reader :events

      def initialize
        super
        @events = Queue.new
      end

      ZMQ::Monitor::CALLBACKS.each_value do |name|
        define_method(name) { |addr, value| @events << [name, addr, value] }
      end

      # The next event named `name` (others are skipped), or fails after 5 s.
      def await(name, seconds = 5)
        limit = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
        Kernel.loop do
          left = limit - Process.clock_gettime(Process::CLOCK_MONOTONIC)
          raise "no #{name} event within #{seconds}s" if left <= 0

          event = Timeout.timeout(left) { @events.pop }
          return event if event.first == name
        end
      rescue Timeout::Error
        raise "no #{name} event within #{seconds}s"
      end
    end
  end
  let(:recorder) { recorder_class.new }

  def monitor_threads
    Thread.list.select { |t| t.name == "zmq-rs monitor" && t.alive? }
  end

  describe "ZMQ::Monitor" do
    it "has a no-op method per event taking (addr, value)" do
      mon = ZMQ::Monitor.new
      %i[on_connected on_connect_delayed on_connect_retried on_listening on_bind_failed on_accepted
         on_accept_failed on_closed on_close_failed on_disconnected].each do |name|
        expect(mon.public_send(name, "tcp://x", 1)).to be_nil
        expect(mon.method(name).arity).to eq(2)
      end
    end
  end

  describe "arguments" do
    let(:sock) { ctx.socket(:REP) }

    it "checks types like rbczmq (TypeError)" do
      expect { sock.monitor(:invalid) }.to raise_error(TypeError, "wrong argument type Symbol (expected String)")
      expect { sock.monitor("inproc://monitor.args", nil, :invalid) }
        .to raise_error(TypeError, "wrong argument type Symbol (expected Integer)")
      expect { sock.monitor("inproc://monitor.args", nil, 1.5) }
        .to raise_error(TypeError, "wrong argument type Float (expected Integer)")
    end

    it "returns false for an endpoint that is not inproc (libzmq accepts only inproc)" do
      expect(sock.monitor("tcp://0.0.0.0:5000")).to be(false)
      expect(sock.monitor("ipc:///tmp/zmqrs-monitor")).to be(false)
      expect(sock.monitor("bad uri")).to be(false)
    end

    it "returns false when the inproc endpoint is taken" do
      other = ctx.socket(:PAIR)
      other.bind("inproc://monitor.taken")
      expect(sock.monitor("inproc://monitor.taken")).to be(false)
    end

    it "raises ZMQ::Error on a closed socket" do
      sock.close
      expect { sock.monitor("inproc://monitor.closed") }.to raise_error(ZMQ::Error, /has been destroyed/)
    end

    it "works with every argument defaulted (a fresh inproc endpoint, ZMQ::Monitor, EVENT_ALL)" do
      expect(sock.monitor).to be(true)
      expect(sock.monitor(nil, recorder)).to be(true)
      sock.bind("tcp://127.0.0.1:*")
      expect(recorder.await(:on_listening)[1]).to eq(sock.endpoints.first)
    end
  end

  describe "events" do
    it "delivers listening, accepted and closed with the real endpoint and value (rbczmq's test)" do
      rep = ctx.socket(:REP)
      expect(rep.monitor("inproc://monitor.rep", recorder)).to be(true)
      port = rep.bind("tcp://127.0.0.1:*")
      endpoint = "tcp://127.0.0.1:#{port}"
      name, addr, fd = recorder.await(:on_listening)
      expect([name, addr]).to eq([:on_listening, endpoint])
      expect(fd).to be_a(Integer).and be_positive

      req = ctx.socket(:REQ)
      req.connect(endpoint)
      req.send("ping")
      expect(recv_within(rep)).to eq("ping")
      expect(recorder.await(:on_accepted)[1]).to eq(endpoint)

      rep.close
      expect(recorder.await(:on_closed)[1]).to eq(endpoint)
    end

    it "delivers connect delayed, connected and disconnected on the connecting side" do
      server = ctx.socket(:ROUTER)
      endpoint = bind_any(server, :tcp)
      dealer = ctx.socket(:DEALER)
      expect(dealer.monitor("inproc://monitor.dealer", recorder)).to be(true)
      dealer.connect(endpoint)
      expect(recorder.await(:on_connect_delayed)[1]).to eq(endpoint)
      expect(recorder.await(:on_connected)[1]).to eq(endpoint)
      server.close
      expect(recorder.await(:on_disconnected)[1]).to eq(endpoint)
    end

    it "delivers connect retried while nobody listens" do
      port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] } # a port nobody listens on
      dealer = ctx.socket(:DEALER)
      dealer.reconnect_ivl = 10
      dealer.monitor("inproc://monitor.retry", recorder)
      dealer.connect("tcp://127.0.0.1:#{port}")
      _, addr, interval = recorder.await(:on_connect_retried)
      expect(addr).to eq("tcp://127.0.0.1:#{port}")
      expect(interval).to be_a(Integer)
    end

    it "delivers bind failed with the errno" do
      taken = ctx.socket(:PUB)
      endpoint = bind_any(taken, :tcp)
      sock = ctx.socket(:PUB)
      sock.monitor("inproc://monitor.bindfail", recorder)
      expect { sock.bind(endpoint) }.to raise_error(Errno::EADDRINUSE)
      expect(recorder.await(:on_bind_failed)[1..]).to eq([endpoint, Errno::EADDRINUSE::Errno])
    end

    it "calls only the events in the mask, and only methods the handler has" do
      partial = Class.new do
        attr_reader :seen

        def initialize
          @seen = Queue.new
        end

        def on_closed(addr, _fd)
          @seen << [:on_closed, addr]
        end
      end.new
      sock = ctx.socket(:PUB)
      expect(sock.monitor("inproc://monitor.mask", partial, ZMQ::EVENT_CLOSED)).to be(true)
      endpoint = bind_any(sock, :tcp)
      sock.close
      expect(Timeout.timeout(5) { partial.seen.pop }).to eq([:on_closed, endpoint])
    end
  end

  describe "the monitor thread" do
    it "runs the callbacks off the socket's thread" do
      sock = ctx.socket(:PUB)
      threads = Queue.new
      handler = Object.new
      handler.define_singleton_method(:on_listening) { |_a, _v| threads << Thread.current }
      sock.monitor("inproc://monitor.thread", handler)
      bind_any(sock, :tcp)
      expect(Timeout.timeout(5) { threads.pop }).not_to eq(Thread.current)
    end

    it "ends after the socket is closed, and frees the endpoint name" do
      before = monitor_threads
      sock = ctx.socket(:PUB)
      sock.monitor("inproc://monitor.ends", recorder)
      started = monitor_threads - before
      expect(started.size).to eq(1)
      bind_any(sock, :tcp)
      sock.close
      expect(started.first.join(5)).to be_truthy
      other = ctx.socket(:PUB)
      expect(other.monitor("inproc://monitor.ends")).to be(true)
    end

    it "ends when the socket is monitored again (the new monitor gets the events)" do
      sock = ctx.socket(:PUB)
      before = monitor_threads
      sock.monitor("inproc://monitor.first", ZMQ::Monitor.new)
      first = (monitor_threads - before).first
      second = recorder_class.new
      expect(sock.monitor("inproc://monitor.second", second)).to be(true)
      expect(first.join(5)).to be_truthy
      bind_any(sock, :tcp)
      expect(second.await(:on_listening)).to be_truthy
    end

    it "ends when the context is destroyed" do
      sock = ctx.socket(:PUB)
      before = monitor_threads
      sock.monitor("inproc://monitor.ctx", recorder)
      started = monitor_threads - before
      ctx.destroy
      expect(started.first.join(5)).to be_truthy
    end

    it "ends when a monitored socket nobody references is collected" do
      before = monitor_threads
      # Made in another method so no local of this frame keeps the socket.
      make_monitored_socket
      started = monitor_threads - before
      expect(started.size).to eq(1)
      wait_until(10) do
        GC.start
        !started.first.alive?
      end
    end

    def make_monitored_socket
      s = ctx.socket(:PUB)
      s.monitor(nil, ZMQ::Monitor.new)
      nil
    end

    it "does not change the socket's inspect" do
      sock = ctx.socket(:PUB)
      sock.monitor
      expect(sock.inspect).to match(/\A#<ZMQ::Socket::Pub:0x\h+>\z/)
    end
  end
end
