# frozen_string_literal: true

require "timeout"
require "tmpdir"

# Helpers for the binding's specs: one context per example (rbczmq allows one live
# context per process, so every example destroys its own), endpoints per transport, and
# waits bounded by deadlines instead of sleeps.
module ZmqHelpers
  TRANSPORTS = %i[tcp ipc inproc].freeze
  # Specs call the helpers from several threads at once.
  LOCK = Mutex.new
  @next_id = 0

  class << self
    def next_id
      LOCK.synchronize { @next_id += 1 }
    end
  end

  def ctx
    @ctx || LOCK.synchronize { @ctx ||= ZMQ::Context.new }
  end

  # Binds `sock` on a fresh endpoint of `transport`; returns the endpoint to connect to.
  def bind_any(sock, transport)
    case transport
    when :tcp
      port = sock.bind("tcp://127.0.0.1:*")
      "tcp://127.0.0.1:#{port}"
    when :ipc
      path = File.join(Dir.tmpdir, "zmqrs-spec-#{Process.pid}-#{next_id}.ipc")
      sock.bind("ipc://#{path}")
      "ipc://#{path}"
    when :inproc
      name = "inproc://spec-#{next_id}"
      sock.bind(name)
      name
    end
  end

  # A bound/connected pair of sockets of the given types over `transport`.
  def pair_of(bind_type, connect_type, transport)
    server = ctx.socket(bind_type)
    client = ctx.socket(connect_type)
    client.connect(bind_any(server, transport))
    [server, client]
  end

  def next_id
    ZmqHelpers.next_id
  end

  # Receives with a deadline (never hangs a spec); nil when nothing came.
  def recv_within(sock, ms = 5000)
    sock.rcvtimeo = ms
    sock.recv
  end

  # Waits until the block is truthy; fails the example after `seconds`.
  def wait_until(seconds = 5, message = "condition not met in time")
    limit = monotonic + seconds
    until (result = yield)
      raise message if monotonic > limit

      Thread.pass
      sleep 0.001
    end
    result
  end

  # PUB/SUB "slow joiner": publish until the subscriber gets a copy (bounded), then drop
  # the extra copies. Returns the copy received.
  def publish_until_received(pub, sub, message, seconds = 5)
    limit = monotonic + seconds
    while monotonic < limit
      pub.send(message)
      got = sub.poll(20) && sub.recv_nonblock
      next unless got

      drain(sub)
      return got
    end
    raise "subscriber received nothing in #{seconds}s"
  end

  # Receives and drops whatever is waiting (briefly polling for stragglers).
  def drain(sock)
    nil while sock.poll(50) && sock.recv_nonblock
  end

  # Runs the block in a thread, waits until the thread sleeps in it, and checks that
  # Thread#raise ends the wait at once, with the raised exception.
  def expect_thread_raise_to_interrupt(&blocking_call)
    thread = Thread.new do
      blocking_call.call
      :returned
    rescue RuntimeError => e
      e.message
    end
    wait_until { thread.status == "sleep" || !thread.alive? }
    started = monotonic
    thread.raise(RuntimeError, "stop waiting")
    expect(Timeout.timeout(5) { thread.value }).to eq("stop waiting")
    expect(monotonic - started).to be < 1
  end

  # Sends `count` numbered requests through `client`, taking each answer with the
  # block, and checks that every one came back intact and in order.
  def expect_echoed_in_order(client, count = 2000)
    replies = Array.new(count) do |i|
      client.send("request #{i}")
      yield
    end
    expect(replies).to eq(Array.new(count) { |i| "request #{i}" })
  end

  def monotonic
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # Kills and reaps a child process if it is still there.
  def kill_child(pid)
    Process.kill(:KILL, pid)
    Process.wait(pid)
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  end
end

RSpec.configure do |config|
  config.include ZmqHelpers
  config.around do |example|
    # An example may ask for longer with `timeout: seconds` in its metadata.
    limit = example.metadata[:timeout] || Integer(ENV.fetch("ZMQ_SPEC_TIMEOUT", "60"))
    Timeout.timeout(limit) { example.run }
  ensure
    live = ZMQ.context
    live.destroy if live
  end
end
