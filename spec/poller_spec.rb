# frozen_string_literal: true

require "socket"
require "timeout"
require_relative "support/zmq_helpers"

# ZMQ::Poller, ZMQ::Pollitem, ZMQ.select and ZMQ.Pollitem (rbczmq-api.md sections 1.2,
# 2.6, 2.7 and 4 item 12).
RSpec.describe "polling" do
  include ZmqHelpers

  # Waits until `thread` is blocked (sleeping in its wait), so that what follows is
  # known to reach a waiting poller.
  def until_blocked(thread)
    Timeout.timeout(5) { Thread.pass until thread.status == "sleep" || !thread.alive? }
  end

  def rep_req(name = "inproc://poller-#{next_id}")
    rep = ctx.bind(:REP, name)
    req = ctx.connect(:REQ, name)
    [rep, req]
  end

  describe ZMQ::Pollitem do
    it "wraps an IO with the events given" do
      item = ZMQ::Pollitem.new($stdin, ZMQ::POLLIN)
      expect(item.pollable).to equal($stdin)
      expect(item.events).to eq(ZMQ::POLLIN)
      expect(item.handler).to be_nil
    end

    it "watches POLLIN and POLLOUT when no events are given" do
      expect(ZMQ::Pollitem.new($stdin).events).to eq(ZMQ::POLLIN | ZMQ::POLLOUT)
      expect(ZMQ::Pollitem.new($stdin, nil).events).to eq(3)
    end

    it "wraps a bound or connected socket" do
      rep, req = rep_req
      expect(ZMQ::Pollitem.new(rep, ZMQ::POLLIN).pollable).to equal(rep)
      expect(ZMQ::Pollitem.new(req, ZMQ::POLLOUT).events).to eq(ZMQ::POLLOUT)
    end

    it "wraps Ruby sockets (TCPServer, TCPSocket) and pipes" do
      server = TCPServer.new("127.0.0.1", 0)
      client = TCPSocket.new("127.0.0.1", server.addr[1])
      r, w = IO.pipe
      [server, client, r, w].each do |io|
        expect(ZMQ::Pollitem.new(io, ZMQ::POLLIN).pollable).to equal(io)
      end
    ensure
      [server, client, r, w].each { |io| io&.close }
    end

    it "accepts events with POLLIN or POLLOUT in them (5 included), refuses others" do
      expect(ZMQ::Pollitem.new($stdin, 5).events).to eq(5)
      [0, 4, 200].each do |events|
        expect { ZMQ::Pollitem.new($stdin, events) }
          .to raise_error(ZMQ::Error, "invalid socket event: Only ZMQ::POLLIN and ZMQ::POLLOUT events are supported!")
      end
      expect { ZMQ::Pollitem.new($stdin, :in) }.to raise_error(TypeError, "wrong argument type Symbol (expected Integer)")
    end

    it "refuses a pending socket, a destroyed socket and other objects" do
      rep = ctx.socket(:REP)
      expect { ZMQ::Pollitem.new(rep, ZMQ::POLLIN) }
        .to raise_error(ZMQ::Error, "socket in a pending state (not bound or connected) and thus cannot be registered as a poll item!")
      rep.bind("inproc://pollitem-refuses")
      rep.close
      expect { ZMQ::Pollitem.new(rep) }.to raise_error(ZMQ::Error, /ZMQ::Socket instance \w* has been destroyed/)
      expect { ZMQ::Pollitem.new(:invalid, ZMQ::POLLIN) }
        .to raise_error(TypeError, "wrong pollable type Symbol (invalid). Only objects of type ZMQ::Socket and IO supported.")
      expect { ZMQ::Pollitem.new(nil) }.to raise_error(TypeError, /wrong pollable type NilClass/)
    end

    it "verbose= returns nil for sockets and IOs" do
      rep, = rep_req
      expect(ZMQ::Pollitem.new(rep, ZMQ::POLLIN).__send__(:verbose=, false)).to be_nil
      expect(ZMQ::Pollitem.new($stdin).__send__(:verbose=, true)).to be_nil
    end

    describe "#handler=" do
      let(:item) { ZMQ::Pollitem.new($stdin, ZMQ::POLLIN) }

      it "stores an object with on_error, on_readable and on_writable" do
        handler = Object.new
        def handler.on_error(_); end
        def handler.on_readable; end
        def handler.on_writable; end
        item.handler = handler
        expect(item.handler).to equal(handler)
        h = ZMQ::Handler.new(item)
        item.handler = h
        expect(item.handler).to equal(h)
      end

      it "refuses an object missing a callback, naming the first one missing" do
        expect { item.handler = Module.new }
          .to raise_error(ZMQ::Error, /\APollable entity .*'s handler Module expected to implement an on_error callback!\z/)
        partial = Object.new
        def partial.on_error(_); end
        expect { item.handler = partial }.to raise_error(ZMQ::Error, /handler Object expected to implement an on_readable callback!/)
        def partial.on_readable; end
        expect { item.handler = partial }.to raise_error(ZMQ::Error, /on_writable callback!/)
        expect(item.handler).to be_nil
      end
    end

    it "coerce returns a Pollitem as it is and wraps anything else" do
      item = ZMQ::Pollitem.new($stdin)
      expect(ZMQ::Pollitem.coerce(item)).to equal(item)
      coerced = ZMQ::Pollitem.coerce($stdin)
      expect(coerced).to be_a(ZMQ::Pollitem)
      expect(coerced.pollable).to equal($stdin)
      expect { ZMQ::Pollitem.coerce(:nope) }.to raise_error(TypeError)
    end

    it "ZMQ.Pollitem is Pollitem.new" do
      item = ZMQ.Pollitem($stdin, ZMQ::POLLIN)
      expect(item).to be_a(ZMQ::Pollitem)
      expect([item.pollable, item.events]).to eq([$stdin, ZMQ::POLLIN])
      expect(ZMQ.Pollitem($stdin).events).to eq(3)
    end

    describe "#send and #recv (they override Object#send)" do
      it "go through a ZMQ socket (recv does not block: nil when nothing waits)" do
        rep, req = rep_req
        rep_item = ZMQ::Pollitem.new(rep)
        expect(rep_item.recv).to be_nil
        expect(ZMQ::Pollitem.new(req).send("ping")).to be(true)
        expect(rep.poll(5000)).to be(true)
        expect(rep_item.recv).to eq("ping")
      end

      it "go through a pipe (write_nonblock / read_nonblock)" do
        r, w = IO.pipe
        expect(ZMQ::Pollitem.new(w).send("abc")).to eq(3)
        expect(ZMQ::Pollitem.new(r).recv).to eq("abc")
        expect { ZMQ::Pollitem.new(r).recv }.to raise_error(IO::WaitReadable)
      ensure
        [r, w].each { |io| io&.close }
      end

      it "go through a Ruby TCP socket (send(data, 0) / recv_nonblock(4096))" do
        server = TCPServer.new("127.0.0.1", 0)
        client = TCPSocket.new("127.0.0.1", server.addr[1])
        peer = server.accept
        expect(ZMQ::Pollitem.new(client).send("hello")).to eq(5)
        peer.wait_readable(5)
        expect(ZMQ::Pollitem.new(peer).recv).to eq("hello")
      ensure
        [server, client, peer].each { |io| io&.close }
      end
    end
  end

  describe ZMQ::Poller do
    let(:poller) { ZMQ::Poller.new }

    it "is made without arguments" do
      expect(poller).to be_a(ZMQ::Poller)
      expect { ZMQ::Poller.new(1) }.to raise_error(ArgumentError)
    end

    it "verbose= returns nil" do
      expect(poller.__send__(:verbose=, true)).to be_nil
      rep, = rep_req
      expect(poller.register(rep)).to be_a(ZMQ::Pollitem)
    end

    it "starts with empty readables and writables" do
      expect(poller.readables).to eq([])
      expect(poller.writables).to eq([])
    end

    it "returns 0 at once when nothing is registered, whatever the timeout", :no_gc_stress do
      t = monotonic
      expect(poller.poll).to eq(0)
      expect(poller.poll(5)).to eq(0)
      expect(poller.poll(-1)).to eq(0)
      expect(poller.poll_nonblock).to eq(0)
      expect(monotonic - t).to be < 0.5
    end

    it "refuses a timeout that is not an Integer, Float or nil" do
      expect { poller.poll(:invalid) }.to raise_error(TypeError, "wrong timeout type invalid (expected Fixnum or Float)")
      expect { poller.poll("1") }.to raise_error(TypeError, /wrong timeout type 1/)
    end

    it "does not block with a nil timeout or poll_nonblock, and waits seconds otherwise", :no_gc_stress do
      rep, = rep_req
      poller.register_readable(rep)
      t = monotonic
      expect(poller.poll(nil)).to eq(0)
      expect(poller.poll_nonblock).to eq(0)
      expect(monotonic - t).to be < 0.1
      t = monotonic
      expect(poller.poll(0.2)).to eq(0)
      expect(monotonic - t).to be_between(0.19, 1.5)
      t = monotonic
      expect(poller.poll(1)).to eq(0)
      expect(monotonic - t).to be_between(0.99, 2.5)
    end

    it "reports ready sockets in readables/writables, as the original objects (rbczmq's test)" do
      rep, req = rep_req
      expect(poller.poll_nonblock).to eq(0)
      expect(poller.register_readable(rep)).to be_a(ZMQ::Pollitem)
      expect(req.send("request")).to be(true)
      expect(poller.poll(1)).to eq(1)
      expect(poller.readables).to eq([rep])
      expect(poller.readables.first).to equal(rep)
      expect(poller.writables).to eq([])
      expect(rep.recv).to eq("request")

      expect(poller.register(req)).to be_a(ZMQ::Pollitem)
      expect(rep.send("reply")).to be(true)
      expect(poller.poll(1)).to eq(1)
      expect(poller.readables).to eq([req])
      expect(poller.writables).to eq([])
    end

    it "refills the same readables/writables Arrays on each poll" do
      rep, req = rep_req
      poller.register_readable(rep)
      readables = poller.readables
      writables = poller.writables
      req.send("x")
      expect(poller.poll(1)).to eq(1)
      expect(poller.readables).to equal(readables)
      rep.recv
      expect(poller.poll(0)).to eq(0)
      expect(poller.readables).to equal(readables).and(eq([]))
      expect(poller.writables).to equal(writables)
    end

    it "is level-triggered: a message not received stays reported" do
      rep, req = rep_req
      poller.register_readable(rep)
      req.send("x")
      3.times { expect(poller.poll(1)).to eq(1) }
      expect(rep.recv).to eq("x")
      expect(poller.poll(0)).to eq(0)
    end

    it "counts an item ready both ways once, listing it in both Arrays" do
      a, b = pair_of(:PAIR, :PAIR, :inproc)
      poller.register(a)
      b.send("x")
      expect(poller.poll(1)).to eq(1)
      expect(poller.readables).to eq([a])
      expect(poller.writables).to eq([a])
    end

    it "polls an item registered twice twice" do
      rep, req = rep_req
      poller.register_readable(rep)
      poller.register_readable(rep)
      req.send("x")
      expect(poller.poll(1)).to eq(2)
      expect(poller.readables).to eq([rep, rep])
    end

    ZmqHelpers::TRANSPORTS.each do |transport|
      it "wakes a poll waiting for ever when a message arrives (#{transport})" do
        pull, push = pair_of(:PULL, :PUSH, transport)
        poller.register_readable(pull)
        waiter = Thread.new { [poller.poll(-1), poller.readables.dup] }
        until_blocked(waiter)
        push.send("wake")
        expect(Timeout.timeout(5) { waiter.value }).to eq([1, [pull]])
        expect(pull.recv_nonblock).to eq("wake")
      end

      it "misses no wake-up over many messages sent while it polls (#{transport})", :no_gc_stress do
        pull, push = pair_of(:PULL, :PUSH, transport)
        poller.register_readable(pull)
        total = 2000
        producer = Thread.new do
          total.times do |i|
            push.send(i.to_s)
            Thread.pass if (i % 7).zero?
          end
        end
        got = []
        Timeout.timeout(20) do
          while got.size < total
            expect(poller.poll(-1)).to eq(1)
            while (msg = pull.recv_nonblock)
              got << msg
            end
          end
        end
        producer.join
        expect(got).to eq((0...total).map(&:to_s))
        expect(poller.poll(0)).to eq(0)
      end
    end

    it "waits for room to send (POLLOUT) on a socket" do
      push = ctx.socket(:PUSH)
      endpoint = bind_any(push, :tcp)
      poller.register_writable(push)
      expect(poller.poll(0.05)).to eq(0) # no peer: nowhere to send
      waiter = Thread.new { [poller.poll(-1), poller.writables.dup] }
      until_blocked(waiter)
      pull = ctx.socket(:PULL)
      pull.connect(endpoint)
      expect(Timeout.timeout(5) { waiter.value }).to eq([1, [push]])
    end

    it "wakes a POLLOUT wait when a full pipe drains" do
      push = ctx.socket(:PUSH)
      pull = ctx.socket(:PULL)
      push.sndhwm = 1
      pull.rcvhwm = 1
      push.sndtimeo = 0
      push.bind("inproc://poller-pollout-hwm")
      pull.connect("inproc://poller-pollout-hwm")
      sent = 0
      sent += 1 while sent < 10_000 && push.send("x")
      expect(sent).to be < 10_000 # the pipe filled up
      poller.register_writable(push)
      expect(poller.poll(0)).to eq(0)
      waiter = Thread.new { poller.poll(-1) }
      until_blocked(waiter)
      expect(pull.recv).to eq("x")
      expect(Timeout.timeout(5) { waiter.value }).to eq(1)
    end

    it "polls IO pipes (rbczmq's test)" do
      r, w = IO.pipe
      poller.register(ZMQ.Pollitem(r, ZMQ::POLLIN))
      poller.register(ZMQ.Pollitem(w, ZMQ::POLLOUT))
      expect(poller.poll(1)).to eq(1) # only the write end
      expect(poller.writables).to eq([w])
      w.write("message")
      expect(poller.poll(1)).to eq(2)
      expect(poller.readables).to eq([r])
      expect(poller.writables).to eq([w])
      expect(r.read(7)).to eq("message")
    ensure
      [r, w].each { |io| io&.close }
    end

    it "wakes for an IO that becomes readable while it waits" do
      r, w = IO.pipe
      poller.register_readable(r)
      waiter = Thread.new { [poller.poll(-1), poller.readables.dup] }
      until_blocked(waiter)
      w.write("x")
      expect(Timeout.timeout(5) { waiter.value }).to eq([1, [r]])
    ensure
      [r, w].each { |io| io&.close }
    end

    it "polls Ruby TCP sockets (rbczmq's test)" do
      server = TCPServer.new("127.0.0.1", 0)
      client = TCPSocket.new("127.0.0.1", server.addr[1])
      peer = server.accept
      poller.register(ZMQ.Pollitem(server))
      poller.register(ZMQ.Pollitem(client))
      client.send("message", 0)
      expect(poller.poll(1)).to eq(1)
      expect(poller.readables).to eq([])
      expect(poller.writables).to eq([client])
      peer.wait_readable(5)
      expect(peer.recv_nonblock(7)).to eq("message")
    ensure
      [server, client, peer].each { |io| io&.close }
    end

    it "polls ZMQ sockets and IOs together" do
      pull, push = pair_of(:PULL, :PUSH, :inproc)
      r, w = IO.pipe
      poller.register_readable(pull)
      poller.register_readable(r)
      w.write("io")
      expect(poller.poll(1)).to eq(1)
      expect(poller.readables).to eq([r])
      push.send("zmq")
      expect(poller.poll(1)).to eq(2)
      expect(poller.readables).to eq([pull, r])
      r.read(2)
      expect(poller.poll(1)).to eq(1)
      expect(poller.readables).to eq([pull])
    ensure
      [r, w].each { |io| io&.close }
    end

    describe "#register" do
      it "returns the Pollitem (the same one when given a Pollitem) and copies its events" do
        rep, req = rep_req
        item = ZMQ::Pollitem.new(rep, ZMQ::POLLIN)
        expect(poller.register(item)).to equal(item)
        coerced = poller.register(req)
        expect(coerced).to be_a(ZMQ::Pollitem)
        expect(coerced.pollable).to equal(req)
        expect(coerced.events).to eq(ZMQ::POLLIN | ZMQ::POLLOUT)
      end

      it "register_readable / register_writable return Pollitems for POLLIN / POLLOUT" do
        rep, = rep_req
        expect(poller.register_readable(rep).events).to eq(ZMQ::POLLIN)
        expect(poller.register_writable(rep).events).to eq(ZMQ::POLLOUT)
      end

      it "refuses bad events, pending sockets and other objects (rbczmq's test)" do
        rep, req = rep_req
        expect(poller.register(rep)).to be_truthy
        expect { poller.register(ZMQ::Pollitem.new(req, 0)) }.to raise_error(ZMQ::Error)
        expect { poller.register(ctx.socket(:REP)) }.to raise_error(ZMQ::Error, /pending state/)
        expect { poller.register(:sym) }.to raise_error(TypeError, /wrong pollable type Symbol/)
        expect { poller.register_readable(42) }.to raise_error(TypeError, /wrong pollable type Integer/)
      end
    end

    describe "#remove" do
      it "removes by socket, by Pollitem and by IO, returning the Pollitem; false when not registered" do
        rep, req = rep_req
        item = poller.register(req)
        expect(poller.remove(req)).to equal(item)
        expect(poller.remove(rep)).to be(false)

        io_item = ZMQ::Pollitem.new($stdin, ZMQ::POLLIN)
        poller.register(io_item)
        expect(poller.remove(io_item)).to equal(io_item)
        poller.register(io_item)
        expect(poller.remove($stdin)).to equal(io_item)
        expect(poller.remove($stdin)).to be(false)
      end

      it "removes only the first of two registrations" do
        rep, req = rep_req
        first = poller.register_readable(rep)
        second = poller.register_readable(rep)
        expect(poller.remove(rep)).to equal(first)
        req.send("x")
        expect(poller.poll(1)).to eq(1)
        expect(poller.remove(rep)).to equal(second)
        expect(poller.poll(0)).to eq(0)
      end

      it "raises for a pending socket, as the coercion does" do
        expect { poller.remove(ctx.socket(:REP)) }.to raise_error(ZMQ::Error, /pending state/)
        expect { poller.remove(:x) }.to raise_error(TypeError)
      end
    end

    it "raises ZMQ::Error when a registered socket was destroyed, IOError for a closed IO" do
      rep, = rep_req
      poller.register_readable(rep)
      rep.close
      expect { poller.poll(1) }.to raise_error(ZMQ::Error, /has been destroyed/)
      other = ZMQ::Poller.new
      r, w = IO.pipe
      other.register_readable(r)
      r.close
      expect { other.poll(1) }.to raise_error(IOError)
    ensure
      w&.close
    end

    # A poll whose socket awaits an answer that came quickly before spins briefly before
    # it sleeps, as a blocking recv does; nothing above may change when it does.
    describe "in a fast conversation" do
      def poll_driven_echo(transport)
        server, client = pair_of(:DEALER, :DEALER, transport)
        thread = Thread.new do
          echo_poller = ZMQ::Poller.new
          echo_poller.register_readable(server)
          Kernel.loop do
            next if echo_poller.poll(1).zero?

            m = server.recv
            break if m == "stop"

            server.send(m) unless m == "silent"
          end
        end
        [client, thread]
      end

      %i[tcp inproc].each do |transport|
        it "serves every request, in order, over #{transport}", :no_gc_stress do
          client, thread = poll_driven_echo(transport)
          poller.register_readable(client)
          expect_echoed_in_order(client) do
            poller.poll(5)
            client.recv_nonblock
          end
          client.send("stop")
          expect(thread.join(5)).to equal(thread)
        end
      end

      it "still honours its timeout and Thread#raise, and carries on afterwards", :no_gc_stress do
        client, thread = poll_driven_echo(:tcp)
        poller.register_readable(client)
        500.times { |i| client.send(i.to_s) && poller.poll(5) && client.recv_nonblock }
        # Answers came quickly so far; this one never comes: the timeout holds, and so
        # does Thread#raise.
        client.send("silent")
        t = monotonic
        expect(poller.poll(0.2)).to eq(0)
        expect(monotonic - t).to be_within(0.15).of(0.2)
        expect_thread_raise_to_interrupt { poller.poll(-1) }
        client.send("stop")
        expect(thread.join(5)).to equal(thread)
      end
    end

    it "is woken by a context destroyed in another thread" do
      pull = ctx.socket(:PULL)
      bind_any(pull, :inproc)
      poller.register_readable(pull)
      waiter = Thread.new do
        poller.poll(-1)
      rescue ZMQ::Error => e
        e
      end
      until_blocked(waiter)
      ctx.destroy
      expect(Timeout.timeout(5) { waiter.value }).to be_a(ZMQ::Error)
    end

    it "waits without the GVL and without using CPU", :no_gc_stress do
      pull, = pair_of(:PULL, :PUSH, :inproc)
      poller.register_readable(pull)
      waiter = Thread.new { poller.poll(-1) }
      until_blocked(waiter)
      cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
      count = 0
      limit = monotonic + 0.3
      count += 1 while monotonic < limit # this thread runs while the other waits
      expect(count).to be > 10_000
      busy = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) - cpu
      cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
      sleep 0.3 # measuring idleness: nothing to wait for
      expect(Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) - cpu).to be < 0.05
      expect(busy).to be < 0.6
      waiter.kill
      waiter.join
    end

    it "is interrupted by Thread#raise and Timeout", :no_gc_stress do
      pull, = pair_of(:PULL, :PUSH, :inproc)
      poller.register_readable(pull)
      expect_thread_raise_to_interrupt { poller.poll(-1) }
      t = monotonic
      expect { Timeout.timeout(0.2) { poller.poll(-1) } }.to raise_error(Timeout::Error)
      expect(monotonic - t).to be < 2
    end
  end

  describe "ZMQ.select" do
    it "returns [[], [], []] at once with nothing to poll, whatever the timeout", :no_gc_stress do
      t = monotonic
      expect(ZMQ.select).to eq([[], [], []])
      expect(ZMQ.select([], [], [], 5)).to eq([[], [], []])
      expect(ZMQ.select(nil, nil)).to eq([[], [], []])
      expect(monotonic - t).to be < 0.5
    end

    it "reports ready sockets and IOs as the original objects (rbczmq's test)" do
      rep, req = rep_req
      expect(ZMQ.select([rep])).to eq([[], [], []])
      req.send("request")
      readables, writables, errors = ZMQ.select([rep], nil, nil, 1)
      expect(readables).to eq([rep])
      expect(readables.first).to equal(rep)
      expect([writables, errors]).to eq([[], []])
      r, w = IO.pipe
      expect(ZMQ.select([r], [w], [], 1)).to eq([[], [w], []])
      expect(ZMQ.select([rep, r], [req], [], 0)).to eq([[rep], [], []])
    ensure
      [r, w].each { |io| io&.close }
    end

    it "does not block with a nil timeout and waits seconds otherwise", :no_gc_stress do
      rep, = rep_req
      t = monotonic
      expect(ZMQ.select([rep], [], [], nil)).to eq([[], [], []])
      expect(monotonic - t).to be < 0.1
      expect(ZMQ.select([rep], [], [], 0.2)).to eq([[], [], []])
      expect(monotonic - t).to be >= 0.19
    end

    it "raises for a pending socket" do
      expect { ZMQ.select([ctx.socket(:REP)]) }.to raise_error(ZMQ::Error, /pending state/)
    end
  end
end
