# frozen_string_literal: true

# Distributed method dispatch over ZeroMQ.
#
# A RemoteProxy stands in for an object that lives in another process. Any method called
# on the proxy (through method_missing) is marshalled with Marshal, sent over a REQ
# socket to a RemoteProxy::Service (a REP socket), which calls the real object and sends
# back the result, or the exception it raised. The proxy returns that result, or raises
# that exception again locally (same class, same message, with the remote backtrace in
# front of the local one). When the service does not answer within `timeout` seconds the
# call raises RemoteProxy::TimeoutError instead of hanging; the proxy then throws its REQ
# socket away (linger 0), since a REQ that never got its reply cannot send again, and
# makes a new one for the next call.
#
#   ruby -Ilib examples/remote_proxy.rb serve [ENDPOINT]   # run the service
#   ruby -Ilib examples/remote_proxy.rb [ENDPOINT]          # the demo (default)
#
# ENDPOINT defaults to $RPC_ENDPOINT, else tcp://127.0.0.1:5561. The demo starts the
# service as a child process, makes a few calls (one raises remotely), kills the
# service, shows the timeout, and exits 0 (1 if anything did not happen as expected).
#
# Caveats, as with any RPC: Marshal.load runs on whatever arrives, so only expose a
# service to peers you trust (the default endpoint is loopback only). A call that timed
# out may still have run on the service. Arguments and results must be marshallable
# (no blocks, procs or IOs). A proxy's socket belongs to the thread that made its first
# call: give each thread its own proxy.

require "zmq"
require "rbconfig"

class RemoteProxy
  # The service did not answer in time (it may be down, or slow).
  class TimeoutError < StandardError; end

  # A remote exception that cannot be rebuilt here (its class is unknown locally, or it
  # could not be marshalled); the message names the remote class.
  class RemoteError < StandardError; end

  # Conversion hooks Ruby probes implicitly (puts, Array(), string interpolation...):
  # never forwarded, so printing or splatting a proxy makes no network call.
  LOCAL_ONLY = %i[to_ary to_str to_hash to_proc to_io to_int to_sym to_path marshal_dump _dump].freeze

  def initialize(endpoint, timeout: 2.0)
    @endpoint = endpoint
    @timeout_ms = (timeout * 1000).round
    @socket = nil
    @responds = {}
  end

  # Closes the proxy's socket; the next call opens a new one.
  def __close__
    return unless @socket

    @socket.linger = 0
    @socket.close
    @socket = nil
  end

  def inspect
    "#<RemoteProxy #{@endpoint}>"
  end

  def method_missing(name, *args, **kwargs, &block)
    return super if LOCAL_ONLY.include?(name)
    raise ArgumentError, "RemoteProxy: a block cannot be sent to #{@endpoint} (#{name})" if block

    __call__(name, args, kwargs)
  end

  # Asks the service (once per method name) whether the remote object has the method.
  def respond_to_missing?(name, include_private = false)
    return false if LOCAL_ONLY.include?(name)

    @responds.fetch(name) { @responds[name] = __call__(:respond_to?, [name], {}) }
  end

  private

  def __call__(name, args, kwargs)
    status, payload = Marshal.load(__roundtrip__(Marshal.dump([name, args, kwargs])))
    return payload if status == :ok

    raise __rebuild_error__(status, payload), cause: nil
  end

  # One request and its reply; on a timeout the socket is dropped and TimeoutError raised.
  def __roundtrip__(request)
    socket = __socket__
    reply = socket.send(request) && socket.recv
    return reply if reply

    __close__
    raise TimeoutError, "no reply from #{@endpoint} within #{@timeout_ms} ms"
  end

  def __socket__
    @socket ||= begin
      ctx = ZMQ.context || ZMQ::Context.new
      socket = ctx.socket(:REQ)
      socket.linger = 0
      socket.sndtimeo = @timeout_ms
      socket.rcvtimeo = @timeout_ms
      socket.connect(@endpoint)
      socket
    end
  end

  def __rebuild_error__(status, payload)
    error =
      if status == :raised
        payload
      else # :raised_info => [class name, message, backtrace]
        class_name, message, backtrace = payload
        klass = begin
          Object.const_get(class_name)
        rescue NameError
          nil
        end
        exc = klass.is_a?(Class) && klass <= StandardError ? klass.new(message) : RemoteError.new("#{class_name}: #{message}")
        exc.set_backtrace(backtrace || [])
        exc
      end
    error.set_backtrace((error.backtrace || []).map { |line| "(remote #{@endpoint}) #{line}" } + caller(3))
    error
  end

  # Serves one object on a REP socket: each request is [method, args, kwargs]; each reply
  # is [:ok, result], [:raised, exception] or [:raised_info, [class, message, backtrace]]
  # (for an exception that cannot be marshalled, or whose class the client lacks).
  class Service
    def initialize(target, endpoint)
      @target = target
      @endpoint = endpoint
    end

    # Serves until `max_requests` were handled (nil: no limit) or no request came for
    # `idle_timeout` seconds (nil: wait forever). Returns the number handled.
    def run(max_requests: nil, idle_timeout: nil)
      ctx = ZMQ.context || ZMQ::Context.new
      socket = ctx.socket(:REP)
      socket.rcvtimeo = (idle_timeout * 1000).round if idle_timeout
      socket.bind(@endpoint)
      handled = 0
      while max_requests.nil? || handled < max_requests
        request = socket.recv
        break unless request # idle timeout, or the context went away

        socket.send(handle(request))
        handled += 1
      end
      handled
    ensure
      socket&.close
    end

    # One request in, one reply out (both marshalled).
    def handle(request)
      name, args, kwargs = Marshal.load(request)
      unless @target.respond_to?(name) # public methods only
        raise NoMethodError.new("undefined method `#{name}' for #{@target.class} (remote)", name)
      end

      Marshal.dump([:ok, @target.public_send(name, *args, **kwargs)])
    rescue StandardError => e
      encode_error(e)
    end

    private

    def encode_error(error)
      Marshal.dump([:raised, error])
    rescue TypeError # e.g. an exception holding a Proc or an IO
      Marshal.dump([:raised_info, [error.class.name, error.message, error.backtrace]])
    end
  end
end

# The object the demo serves.
class Calculator
  class Overheated < StandardError; end

  def add(left, right)
    left + right
  end

  def divide(left, right)
    left / right
  end

  def stats(numbers, round: 2)
    { min: numbers.min, max: numbers.max, mean: (numbers.sum.to_f / numbers.size).round(round) }
  end

  def overheat(degrees)
    raise Overheated, "#{degrees} degrees is too hot" if degrees > 100

    "fine at #{degrees} degrees"
  end
end

if $PROGRAM_NAME == __FILE__
  $stdout.sync = true
  mode = ARGV[0] == "serve" ? ARGV.shift : "demo"
  endpoint = ARGV[0] || ENV.fetch("RPC_ENDPOINT", "tcp://127.0.0.1:5561")

  if mode == "serve"
    idle = ENV["IDLE_MS"] && Integer(ENV["IDLE_MS"]) / 1000.0
    puts "remote_proxy: serving a Calculator at #{endpoint}"
    handled = RemoteProxy::Service.new(Calculator.new, endpoint).run(idle_timeout: idle)
    puts "remote_proxy: service stops after #{handled} calls"
    ZMQ.context&.destroy
    exit 0
  end

  failures = []
  check = lambda do |ok, what|
    failures << what unless ok
    puts "#{ok ? 'ok  ' : 'FAIL'} #{what}"
  end

  # The service in a child process; it ends on its own after 30 s without calls should
  # this demo die before it kills it.
  lib = File.expand_path("../lib", __dir__)
  service = Process.spawn({ "IDLE_MS" => ENV.fetch("IDLE_MS", "30000") },
                          RbConfig.ruby, "-I", lib, __FILE__, "serve", endpoint)
  begin
    calc = RemoteProxy.new(endpoint, timeout: Float(ENV.fetch("RPC_TIMEOUT", "2")))

    sum = calc.add(2, 3)
    puts "calc.add(2, 3) => #{sum.inspect}"
    check.call(sum == 5, "add returns the remote result")

    stats = calc.stats([3, 1, 4, 1, 5], round: 1)
    puts "calc.stats([3, 1, 4, 1, 5], round: 1) => #{stats.inspect}"
    check.call(stats == { min: 1, max: 5, mean: 2.8 }, "keyword arguments and a Hash result")

    check.call(calc.respond_to?(:divide) && !calc.respond_to?(:launch_rockets), "respond_to? asks the service")

    begin
      calc.divide(1, 0)
      check.call(false, "divide(1, 0) raises")
    rescue ZeroDivisionError => e
      puts "calc.divide(1, 0) raised #{e.class}: #{e.message} (re-raised locally)"
      puts "  remote backtrace: #{e.backtrace.first}"
      check.call(e.message == "divided by 0", "a remote ZeroDivisionError is re-raised with its message")
    end

    begin
      calc.overheat(451)
      check.call(false, "overheat(451) raises")
    rescue Calculator::Overheated => e
      puts "calc.overheat(451) raised #{e.class}: #{e.message} (re-raised locally)"
      check.call(e.message == "451 degrees is too hot", "an application exception keeps its class")
    end

    begin
      calc.launch_rockets
    rescue NoMethodError => e
      puts "calc.launch_rockets raised #{e.class}: #{e.message}"
    end

    Process.kill(:TERM, service)
    Process.wait(service)
    service = nil
    puts "service stopped"

    calc.__close__
    calc = RemoteProxy.new(endpoint, timeout: 0.5) # a short timeout for the dead service
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    begin
      calc.add(1, 1)
      check.call(false, "a call to a dead service raises")
    rescue RemoteProxy::TimeoutError => e
      waited = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
      puts "calc.add(1, 1) raised #{e.class}: #{e.message} (after #{waited.round(2)} s)"
      check.call(waited < 5, "the timeout fires instead of hanging")
    end
    # The proxy made a fresh socket for this call and times out again, cleanly.
    begin
      calc.add(1, 1)
    rescue RemoteProxy::TimeoutError
      check.call(true, "the proxy is still usable after a timeout")
    end
  ensure
    if service
      Process.kill(:KILL, service)
      Process.wait(service)
    end
    ZMQ.context&.destroy
  end

  puts(failures.empty? ? "remote_proxy demo: all good" : "remote_proxy demo: #{failures.size} failed")
  exit(failures.empty? ? 0 : 1)
end
