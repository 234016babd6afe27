# frozen_string_literal: true

require_relative "support/zmq_helpers"

RSpec.describe "blocking calls under a Fiber scheduler" do
  # A minimal non-blocking Fiber scheduler (Ruby 3.1 ships none): enough to show that a
  # fiber blocked in ZMQ recv yields to the others, through the scheduler's io_wait.
  class SpecScheduler
    attr_reader :io_waits

    def initialize
      @readable = {}
      @timers = {}
      @ready = []
      @io_waits = 0
    end

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end

    def run
      until @readable.empty? && @timers.empty? && @ready.empty?
        timeout = @ready.empty? ? @timers.values.min&.then { |d| [d - now, 0].max } : 0
        readable, = IO.select(@readable.keys, nil, nil, timeout)
        readable&.each { |io| (fiber = @readable.delete(io)) && fiber.resume }
        due = @timers.select { |_, deadline| deadline <= now }.keys
        due.each do |fiber|
          @timers.delete(fiber)
          fiber.resume if fiber.alive?
        end
        ready = @ready
        @ready = []
        ready.each { |fiber| fiber.resume if fiber.alive? }
      end
    end

    def io_wait(io, events, timeout)
      @io_waits += 1
      fiber = Fiber.current
      @readable[io] = fiber
      @timers[fiber] = now + timeout if timeout
      Fiber.yield
      if @readable[io].equal?(fiber) # the timer fired first
        @readable.delete(io)
        false
      else
        @timers.delete(fiber)
        events
      end
    end

    def kernel_sleep(duration = nil)
      @timers[Fiber.current] = now + (duration || 3600)
      Fiber.yield
      true
    end

    def block(_blocker, timeout = nil)
      @timers[Fiber.current] = now + (timeout || 3600)
      Fiber.yield
      true
    end

    def unblock(_blocker, fiber)
      @timers.delete(fiber)
      @ready << fiber
    end

    def close
      run
    end

    def fiber(&block)
      Fiber.new(blocking: false, &block).tap(&:resume)
    end
  end

  it "a fiber blocked in recv lets the other fibers of its thread run" do
    pull = ctx.socket(:PULL)
    endpoint = bind_any(pull, :tcp)
    push = ctx.socket(:PUSH)
    push.connect(endpoint)
    log = []
    scheduler = SpecScheduler.new
    Thread.new do
      Fiber.set_scheduler(scheduler)
      Fiber.schedule do
        log << :recv_start
        log << pull.recv
      end
      Fiber.schedule do
        log << :other_fiber
        sleep 0.05
        push.send("hello fibers")
        log << :sent
      end
    end.join(10)
    expect(log).to eq([:recv_start, :other_fiber, :sent, "hello fibers"])
    expect(scheduler.io_waits).to be >= 1
  end

  it "rcvtimeo is honoured through the scheduler's io_wait timeout" do
    pull = ctx.socket(:PULL)
    pull.bind("inproc://fiber-timeout")
    pull.rcvtimeo = 100
    result = :unset
    took = nil
    Thread.new do
      Fiber.set_scheduler(SpecScheduler.new)
      Fiber.schedule do
        t = monotonic
        result = pull.recv
        took = monotonic - t
      end
    end.join(10)
    expect(result).to be_nil
    expect(took).to be_within(0.08).of(0.1)
  end

  it "a fiber waiting in Poller#poll lets the other fibers run, and wakes for its socket" do
    pull = ctx.socket(:PULL)
    endpoint = bind_any(pull, :tcp)
    push = ctx.socket(:PUSH)
    push.connect(endpoint)
    reader, writer = IO.pipe
    poller = ZMQ::Poller.new
    poller.register_readable(pull)
    poller.register_readable(reader) # several descriptors: no single one to wait on
    log = []
    scheduler = SpecScheduler.new
    Thread.new do
      Fiber.set_scheduler(scheduler)
      Fiber.schedule do
        log << :poll_start
        log << poller.poll(5)
        log << poller.readables.map { |r| r.equal?(pull) ? :pull : :pipe }
        log << pull.recv
      end
      Fiber.schedule do
        log << :other_fiber
        push.send("to the poller")
        log << :sent
      end
    end.join(10)
    expect(log).to eq([:poll_start, :other_fiber, :sent, 1, [:pull], "to the poller"])
    expect(scheduler.io_waits).to be >= 1
  ensure
    reader&.close
    writer&.close
  end

  it "a fiber in ZMQ::Loop lets the other fibers run; its timer still fires on time" do
    ticks = []
    scheduler = SpecScheduler.new
    log = []
    Thread.new do
      Fiber.set_scheduler(scheduler)
      Fiber.schedule do
        ZMQ::Loop.run do
          ZL.add_oneshot_timer(0.05) { ticks << :tick; ZL.stop }
        end
        log << :loop_done
      end
      Fiber.schedule { log << :other_fiber }
    end.join(10)
    expect(log).to eq(%i[other_fiber loop_done])
    expect(ticks).to eq([:tick])
  end
end
