# frozen_string_literal: true

require "rbconfig"
require "timeout"
require_relative "support/zmq_helpers"

RSpec.describe "threads, signals and blocking calls" do
  lib = File.expand_path("../lib", __dir__)

  def blocked?(thread)
    thread.status == "sleep"
  end

  describe "a blocked recv" do
    it "does not hold the GVL: other threads keep running" do
      pull = ctx.socket(:PULL)
      pull.bind("inproc://gvl")
      pull.rcvtimeo = 300
      counter = 0
      busy = Thread.new { Kernel.loop { counter += 1 } }
      expect(pull.recv).to be_nil
      busy.kill
      expect(counter).to be > 10_000
    end

    it "is interrupted by Thread#raise" do
      pull = ctx.socket(:PULL)
      pull.bind("inproc://raise")
      expect_thread_raise_to_interrupt { pull.recv }
      # The socket is still usable afterwards.
      push = ctx.socket(:PUSH)
      push.connect("inproc://raise")
      push.send("still works")
      expect(recv_within(pull)).to eq("still works")
    end

    it "is interrupted by Timeout.timeout" do
      pull = ctx.socket(:PULL)
      pull.bind("tcp://127.0.0.1:*")
      t = monotonic
      expect { Timeout.timeout(0.2) { pull.recv } }.to raise_error(Timeout::Error)
      expect(monotonic - t).to be_within(0.15).of(0.2)
    end

    it "is ended by Thread#kill" do
      pull = ctx.socket(:PULL)
      pull.bind("inproc://kill")
      thread = Thread.new { pull.recv }
      wait_until { blocked?(thread) }
      thread.kill
      expect(thread.join(2)).to equal(thread)
      expect(thread.status).to be(false)
    end

    it "a blocked send is interrupted too, and sndtimeo is honoured" do
      push = ctx.socket(:PUSH)
      push.bind("inproc://send-block") # no peer: send waits
      expect_thread_raise_to_interrupt { push.send("x") }
      push.sndtimeo = 150
      t = monotonic
      expect(push.send("y")).to be(false)
      expect(monotonic - t).to be_within(0.1).of(0.15)
    end

    it "Socket#poll is interruptible as well" do
      pull = ctx.socket(:PULL)
      pull.bind("inproc://poll-int")
      expect { Timeout.timeout(0.2) { pull.poll(-1) } }.to raise_error(Timeout::Error)
    end
  end

  # Receives in a fast conversation spin briefly, with the GVL released, before they
  # sleep; nothing of the above may change once they do.
  describe "a recv in a fast conversation" do
    def echo_pair(transport)
      echo, client = pair_of(:DEALER, :DEALER, transport)
      server = Thread.new do
        while (m = echo.recv)
          break if m == "stop"

          echo.send(m)
        end
      end
      [client, server]
    end

    %i[tcp ipc inproc].each do |transport|
      it "gets every reply, in order, over #{transport}" do
        client, server = echo_pair(transport)
        expect_echoed_in_order(client) { client.recv }
        client.send("stop")
        expect(server.join(5)).to equal(server)
      end
    end

    it "is still interrupted by Timeout.timeout and Thread#raise, and carries on afterwards" do
      client, server = echo_pair(:tcp)
      500.times { |i| client.send(i.to_s) && client.recv }
      expect { Timeout.timeout(0.2) { client.recv } }.to raise_error(Timeout::Error)

      500.times { |i| client.send(i.to_s) && client.recv }
      expect_thread_raise_to_interrupt { client.recv }

      client.send("after")
      expect(recv_within(client)).to eq("after")
      client.send("stop")
      expect(server.join(5)).to equal(server)
    end
  end

  describe "several threads" do
    it "five threads blocked in recv on one socket all get messages" do
      pull = ctx.socket(:PULL)
      endpoint = bind_any(pull, :tcp)
      got = Queue.new
      threads = Array.new(5) do |i|
        Thread.new do
          while (m = pull.recv)
            got << [i, m]
          end
        end
      end
      wait_until { threads.all? { |t| blocked?(t) } }
      push = ctx.socket(:PUSH)
      push.connect(endpoint)
      100.times { |n| push.send("m#{n}") }
      received = Array.new(100) { Timeout.timeout(5) { got.pop } }
      expect(received.map(&:last).sort).to eq(Array.new(100) { |n| "m#{n}" }.sort)
      ctx.destroy
      threads.each { |t| expect(t.join(5)).to equal(t) }
    end

    it "five threads, each in recv on its own socket, make progress while the main thread runs ZMQ.proxy" do
      frontend = ctx.socket(:ROUTER)
      frontend_endpoint = bind_any(frontend, :tcp)
      backend = ctx.socket(:DEALER)
      backend.bind("inproc://proxy-workers")

      workers = Array.new(5) do |i|
        Thread.new do
          rep = ctx.socket(:REP)
          rep.connect("inproc://proxy-workers")
          served = 0
          while (request = rep.recv)
            rep.send("#{request} by worker #{i}")
            served += 1
          end
          served
        rescue ZMQ::Error # the context was destroyed between recv and send
          served
        end
      end
      wait_until { workers.all? { |t| blocked?(t) } }

      replies = Queue.new
      clients = Array.new(3) do |c|
        Thread.new do
          req = ctx.socket(:REQ)
          req.connect(frontend_endpoint)
          req.rcvtimeo = 5000
          20.times do |n|
            req.send("request #{c}.#{n}")
            replies << (req.recv || "client #{c}: no reply to request #{n}")
          end
        rescue ZMQ::Error => e
          replies << "client #{c}: #{e.message}"
        end
      end
      controller = Thread.new do
        clients.each(&:join)
      ensure
        ctx.destroy
      end

      expect(ZMQ.proxy(frontend, backend)).to eq(-1)
      controller.join(10)
      answers = []
      answers << replies.pop until replies.empty?
      expect(answers.size).to eq(60)
      expect(answers).to all(match(/\Arequest \d\.\d+ by worker \d\z/))
      served = workers.map { |t| t.join(5)&.value }
      expect(served.sum).to eq(60)
      expect(served).to all(be > 0)
    end

    it "ZMQ.proxy copies every message to the capture socket" do
      frontend = ctx.socket(:PULL)
      fe = bind_any(frontend, :inproc)
      backend = ctx.socket(:PUSH)
      be = bind_any(backend, :inproc)
      capture = ctx.socket(:PUSH)
      cap = bind_any(capture, :inproc)
      sink = ctx.socket(:PULL)
      sink.connect(be)
      tap = ctx.socket(:PULL)
      tap.connect(cap)
      source = ctx.socket(:PUSH)
      source.connect(fe)
      proxy = Thread.new { ZMQ.proxy(frontend, backend, capture) }
      source.sendm("two")
      source.send("parts")
      source.send("single")
      expect([recv_within(sink), sink.rcvmore?, sink.recv, recv_within(sink)]).to eq(["two", true, "parts", "single"])
      expect([recv_within(tap), tap.recv, recv_within(tap)]).to eq(%w[two parts single])
      ctx.destroy
      expect(proxy.value).to eq(-1)
    end

    it "ZMQ.proxy in a thread is stopped by Thread#raise, and its sockets work afterwards" do
      frontend = ctx.socket(:PULL)
      frontend.bind("inproc://proxy-raise-f")
      backend = ctx.socket(:PUSH)
      backend.bind("inproc://proxy-raise-b")
      thread = Thread.new do
        ZMQ.proxy(frontend, backend)
      rescue RuntimeError => e
        e.message
      end
      wait_until { blocked?(thread) }
      thread.raise(RuntimeError, "stop proxy")
      expect(thread.value).to eq("stop proxy")
      source = ctx.socket(:PUSH)
      source.connect("inproc://proxy-raise-f")
      source.send("after the proxy")
      expect(recv_within(frontend)).to eq("after the proxy")
    end

    it "ZMQ.proxy checks its arguments" do
      sock = ctx.socket(:PULL)
      expect { ZMQ.proxy(sock, :nope) }.to raise_error(TypeError, /expected ZMQ::Socket/)
      other = ctx.socket(:PUSH)
      other.close
      expect { ZMQ.proxy(sock, other) }.to raise_error(ZMQ::Error, /has been destroyed/)
    end

    it "sockets made in worker threads from a shared context work, and may be used from any thread" do
      results = Array.new(4) do |i|
        Thread.new do
          pull = ctx.socket(:PULL)
          ep = bind_any(pull, i.even? ? :inproc : :tcp)
          [pull, ep]
        end
      end.map(&:value)
      push = ctx.socket(:PUSH)
      results.each { |(_, ep)| push.connect(ep) }
      wait_until { results.all? { |(pull, _)| push.send("probe") && pull.poll(10) } }
      expect(results.map { |(pull, _)| pull.recv_nonblock }).to all(eq("probe"))
    end
  end

  describe "Ctrl-C" do
    # Background jobs start with SIGINT ignored; give the child the default disposition.
    def spawn_ruby(lib, script)
      reader, writer = IO.pipe
      pid = Process.spawn("env", "--default-signal=INT", RbConfig.ruby, "-I", lib, "-rzmq", "-e", script,
                          out: writer, err: writer, pgroup: true)
      writer.close
      [pid, reader]
    end

    def interrupt_child(lib, script)
      pid, reader = spawn_ruby(lib, script)
      expect(Timeout.timeout(10) { reader.gets }).to eq("ready\n")
      sleep 0.2 # let it enter the blocking call (nothing observable to wait for across processes)
      t = monotonic
      Process.kill(:INT, pid)
      _, status = Timeout.timeout(5) { Process.wait2(pid) }
      [reader.read, status, monotonic - t]
    ensure
      kill_child(pid)
    end

    # Runs `setup`, then `blocking` in a child; SIGINT must raise Interrupt in it at once.
    def expect_interrupt_raised(lib, setup, blocking)
      script = <<~RUBY
        #{setup}
        puts "ready"
        $stdout.flush
        begin
          #{blocking}
          puts "returned"
        rescue Interrupt
          puts "Interrupt"
          exit 42
        end
      RUBY
      out, status, took = interrupt_child(lib, script)
      expect(out).to eq("Interrupt\n")
      expect(status.exitstatus).to eq(42)
      expect(took).to be < 2
    end

    it "raises Interrupt at once in a process blocked in recv" do
      setup = <<~RUBY
        ctx = ZMQ::Context.new
        sock = ctx.socket(:REP)
        sock.bind("tcp://127.0.0.1:*")
      RUBY
      expect_interrupt_raised(lib, setup, "sock.recv")
    end

    it "raises Interrupt in a process running ZMQ.proxy" do
      setup = <<~RUBY
        ctx = ZMQ::Context.new
        frontend = ctx.socket(:ROUTER)
        frontend.bind("tcp://127.0.0.1:*")
        backend = ctx.socket(:DEALER)
        backend.bind("inproc://backend")
      RUBY
      expect_interrupt_raised(lib, setup, "ZMQ.proxy(frontend, backend)")
    end

    it "an uncaught Interrupt ends the process the Ruby way" do
      script = 'c = ZMQ::Context.new; s = c.socket(:PULL); s.bind("inproc://x"); puts "ready"; $stdout.flush; s.recv'
      out, status, = interrupt_child(lib, script)
      expect(status.signaled? && status.termsig == Signal.list["INT"]).to be(true), "#{status.inspect} #{out}"
    end
  end
end
