# frozen_string_literal: true
#
# Ruby-level benchmark: zmq-rs (rbczmq API) against ffi-rzmq on the system libzmq,
# side by side in one run, printed as ratios.
#
#   ruby -Ilib bench/run.rb           full run (about 1-2 minutes)
#   BENCH_QUICK=1 ruby bench/run.rb   smoke run (a few seconds)
#   BENCH_RUNS=3                      repetitions per measurement, the two libraries
#                                     taking turns (best one is kept; latency gets at
#                                     least 5 outside BENCH_QUICK)
#   BENCH_MSGS, BENCH_ROUNDTRIPS      message / round-trip counts (500000 / 20000)
#
# Both libraries define ::ZMQ, so they are never loaded in the same process: this
# parent process loads neither and spawns one receiver and one sender process per
# measurement (tcp on 127.0.0.1), re-running this file in a worker role:
#
#   ruby bench/run.rb --worker LIB ROLE PORT COUNT SIZE
#
# LIB is zmq-rs or ffi-rzmq; ROLE is pull, push, rep or req. A worker prints its one
# result line ("rate <msgs/s>" or "lat <µs>") on stdout.
#
# Throughput: PULL binds, PUSH connects and sends COUNT messages of SIZE bytes; the
# PULL side times from the first to the last message (COUNT - 1 intervals). The PUSH
# process stays alive (reading its stdin until EOF) until the receiver is done, so no
# linger setting decides whether the tail of the stream arrives.
# Latency: REP binds and echoes; REQ connects, does a few warm-up round trips, then
# times COUNT round trips and reports the average in µs. The REP process likewise stays
# until the REQ side is done (its last reply is only queued when send returns).

require "rbconfig"
require "socket"

module Bench
  ROOT = File.expand_path("..", __dir__)
  LIBS = %w[zmq-rs ffi-rzmq].freeze
  WARMUP = 100

  # --- worker side -----------------------------------------------------------------

  module ZmqRsWorker
    module_function

    def setup
      require "zmq"
    end

    def context
      @ctx ||= ZMQ::Context.new
    end

    def socket(type, port, bind)
      s = context.socket(type)
      endpoint = "tcp://127.0.0.1:#{port}"
      bind ? s.bind(endpoint) : s.connect(endpoint)
      s
    end

    def pull(port, count)
      s = socket(:PULL, port, true)
      s.recv
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      i = 1
      while i < count
        s.recv
        i += 1
      end
      Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
    end

    def push(port, count, payload)
      s = socket(:PUSH, port, false)
      i = 0
      while i < count
        s.send(payload) or raise "send failed"
        i += 1
      end
    end

    def rep(port, count)
      s = socket(:REP, port, true)
      count.times { s.send(s.recv) }
    end

    def req(port, count, payload)
      s = socket(:REQ, port, false)
      WARMUP.times { s.send(payload); s.recv }
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      i = 0
      while i < count
        s.send(payload)
        s.recv
        i += 1
      end
      Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
    end
  end

  # ffi-rzmq, the fastest idiomatic way: send_string (one ZMQ::Message per send, as
  # libzmq's zmq_msg_send consumes it) and recvmsg into one reused ZMQ::Message, the
  # receiver copying the payload out as a Ruby String like zmq-rs's recv returns.
  # Return codes are checked, as ffi-rzmq's API asks.
  module FfiRzmqWorker
    module_function

    def setup
      require "ffi-rzmq"
    end

    def context
      @ctx ||= ZMQ::Context.new
    end

    def check(rc)
      raise "ffi-rzmq: #{ZMQ::Util.error_string}" unless ZMQ::Util.resultcode_ok?(rc)
    end

    def socket(type, port, bind)
      s = context.socket(type)
      endpoint = "tcp://127.0.0.1:#{port}"
      check(bind ? s.bind(endpoint) : s.connect(endpoint))
      s
    end

    def pull(port, count)
      s = socket(ZMQ::PULL, port, true)
      msg = ZMQ::Message.new
      check(s.recvmsg(msg))
      msg.copy_out_string
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      i = 1
      while i < count
        check(s.recvmsg(msg))
        msg.copy_out_string
        i += 1
      end
      Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
    end

    def push(port, count, payload)
      s = socket(ZMQ::PUSH, port, false)
      i = 0
      while i < count
        check(s.send_string(payload))
        i += 1
      end
    end

    def rep(port, count)
      s = socket(ZMQ::REP, port, true)
      buf = +""
      count.times do
        check(s.recv_string(buf))
        check(s.send_string(buf))
      end
    end

    def req(port, count, payload)
      s = socket(ZMQ::REQ, port, false)
      buf = +""
      WARMUP.times { check(s.send_string(payload)); check(s.recv_string(buf)) }
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      i = 0
      while i < count
        check(s.send_string(payload))
        check(s.recv_string(buf))
        i += 1
      end
      Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
    end
  end

  def self.worker(lib, role, port, count, size)
    w = { "zmq-rs" => ZmqRsWorker, "ffi-rzmq" => FfiRzmqWorker }.fetch(lib)
    w.setup
    payload = ("x" * size).freeze
    $stdout.sync = true
    case role
    when "pull"
      secs = w.pull(port, count)
      puts "rate #{(count - 1) / secs}"
    when "push"
      w.push(port, count, payload)
      $stdin.read # stay connected until the parent says the receiver is done
    when "rep"
      w.rep(port, count + WARMUP)
      $stdin.read # the last reply is only queued: stay until the REQ side has it
    when "req"
      secs = w.req(port, count, payload)
      puts "lat #{secs * 1e6 / count}"
    end
    exit!(0) # the parent decides when we are done; skip context teardown
  end

  # --- parent side -----------------------------------------------------------------

  TIMEOUT = Float(ENV.fetch("BENCH_TIMEOUT", "60"))

  def self.free_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end

  def self.spawn_worker(lib, role, port, count, size, stdin: :close)
    args = [RbConfig.ruby]
    args << "-I#{File.join(ROOT, 'lib')}" if lib == "zmq-rs" # ffi-rzmq must not see lib/zmq.rb
    args += [__FILE__, "--worker", lib, role, port.to_s, count.to_s, size.to_s]
    out_r, out_w = IO.pipe
    pid = Process.spawn(*args, out: out_w, in: stdin, chdir: ROOT)
    out_w.close
    [pid, out_r]
  end

  # Waits for pid, killing it after the deadline. Returns its stdout.
  def self.reap(pid, out, deadline)
    loop do
      _, status = Process.wait2(pid, Process::WNOHANG)
      if status
        text = out.read
        out.close
        raise "worker #{pid} failed (#{status})" unless status.success?
        return text
      end
      if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
        Process.kill(:KILL, pid)
        Process.wait(pid)
        raise "worker #{pid} still running after #{TIMEOUT}s, killed"
      end
      sleep 0.01
    end
  end

  # One measurement: server (binds) and client (connects) in their own processes.
  def self.measure(lib, server_role, client_role, count, size)
    port = free_port
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + TIMEOUT
    sin_r, sin_w = IO.pipe
    spid, sout = spawn_worker(lib, server_role, port, count, size, stdin: sin_r)
    cin_r, cin_w = IO.pipe
    cpid, cout = spawn_worker(lib, client_role, port, count, size, stdin: cin_r)
    [sin_r, cin_r].each(&:close)
    if server_role == "pull"
      text = reap(spid, sout, deadline)
      cin_w.close
      reap(cpid, cout, deadline)
    else
      cin_w.close
      text = reap(cpid, cout, deadline)
      sin_w.close
      reap(spid, sout, deadline)
    end
    Float(text[/^(?:rate|lat) (\S+)/, 1] || raise("#{lib} #{client_role}: no result in #{text.inspect}"))
  ensure
    [sin_w, cin_w].each { |io| io&.close unless io&.closed? }
    [spid, cpid].compact.each do |pid|
      Process.kill(:KILL, pid)
      Process.wait(pid)
    rescue Errno::ESRCH, Errno::ECHILD
      nil
    end
  end

  # Runs each library's measurement `runs` times, the libraries taking turns, so that a
  # slow spell of this shared machine falls on both rather than on one library's tries.
  # Returns each library's results in run order.
  def self.alternating(runs)
    results = LIBS.to_h { |lib| [lib, []] }
    runs.times { LIBS.each { |lib| results[lib] << yield(lib) } }
    results
  end

  def self.median(xs)
    s = xs.sort
    s.size.odd? ? s[s.size / 2] : (s[s.size / 2 - 1] + s[s.size / 2]) / 2.0
  end

  def self.fmt_num(x) = x.round.to_s.reverse.scan(/\d{1,3}/).join(",").reverse

  def self.main
    quick = ENV["BENCH_QUICK"] && ENV["BENCH_QUICK"] != "0"
    runs = Integer(ENV.fetch("BENCH_RUNS", quick ? "1" : "3"))
    lat_runs = quick ? runs : [runs, 5].max # round trips are cheap and the noisiest
    tp_count = Integer(ENV.fetch("BENCH_MSGS", quick ? "20000" : "500000"))
    lat_count = Integer(ENV.fetch("BENCH_ROUNDTRIPS", quick ? "2000" : "20000"))
    lat_size = 100
    sizes = [100, 1024]

    $stdout.sync = true
    puts "Ruby-level bench: zmq-rs (rbczmq API) vs ffi-rzmq #{ffi_version} — tcp 127.0.0.1, " \
         "two processes; throughput best of #{runs}, latency best and median of #{lat_runs}#{quick ? ' (BENCH_QUICK)' : ''}"
    puts "ruby #{RUBY_VERSION} (#{RUBY_PLATFORM})"
    puts

    rows = sizes.map do |size|
      all = alternating(runs) { |lib| measure(lib, "pull", "push", tp_count, size) }
      all.each { |lib, rates| warn "  PUSH/PULL #{size} B #{lib}: #{rates.map { |r| fmt_num(r) }.join(' / ')} msgs/s" }
      [size, all.transform_values(&:max)]
    end
    lat = alternating(lat_runs) { |lib| measure(lib, "rep", "req", lat_count, lat_size) }
    lat.each { |lib, all| warn "  REQ/REP #{lat_size} B #{lib}: #{all.map { |r| format('%.1f', r) }.join(' / ')} µs" }

    puts
    puts "PUSH/PULL throughput, #{fmt_num(tp_count)} messages (receiver, first to last message)"
    puts format("%-13s %14s %14s %8s %6s", "size", "zmq-rs msg/s", "ffi-rzmq msg/s", "ratio", "bar")
    ok = true
    rows.each do |size, r|
      ratio = r["zmq-rs"] / r["ffi-rzmq"]
      pass = ratio >= 5.0
      ok &&= pass
      puts format("%-13s %14s %14s %7.2fx %6s", "#{size} B", fmt_num(r["zmq-rs"]), fmt_num(r["ffi-rzmq"]),
                  ratio, pass ? "ok" : "<5x")
    end
    puts
    puts "REQ/REP round-trip latency, #{lat_size} B, #{fmt_num(lat_count)} round trips (average)"
    puts format("%-13s %14s %14s %8s %6s", "size", "zmq-rs µs", "ffi-rzmq µs", "ratio", "bar")
    # Round trips are dominated by scheduler wake-ups on a busy host: the best run and the
    # median are both shown; the bar is judged on the median, which luck moves less.
    { "best" => :min, "median" => :median }.each do |label, pick|
      zr, fr = %w[zmq-rs ffi-rzmq].map { |lib| pick == :min ? lat[lib].min : median(lat[lib]) }
      ratio = zr / fr
      pass = ratio <= 0.75
      ok &&= pass if pick == :median
      puts format("%-13s %14.1f %14.1f %7.2fx %6s", "#{lat_size} B #{label}", zr, fr, ratio, pass ? "ok" : ">0.75x")
    end
    puts
    puts "bar (>= 5x throughput at both sizes, <= 0.75x latency): #{ok ? 'met' : 'NOT met'}"
    # Informational: a benchmark never fails the build.
  end

  def self.ffi_version
    out = IO.popen([RbConfig.ruby, "-rffi-rzmq", "-e", "print LibZMQ.version.values_at(:major, :minor, :patch).join('.')"],
                   err: File::NULL, &:read)
    "(libzmq #{out.empty? ? '?' : out})"
  rescue StandardError
    "(libzmq ?)"
  end
end

if ARGV[0] == "--worker"
  _, lib, role, port, count, size = ARGV
  Bench.worker(lib, role, Integer(port), Integer(count), Integer(size))
else
  Bench.main
end
