# frozen_string_literal: true

# zguide ch. 3, ROUTER-to-REQ load balancing: worker threads with REQ sockets ask the
# ROUTER for work; the ROUTER answers whoever asked last with more work until time is
# up, then with "Fired!". Busy workers ask less often, so the work spreads by itself.
#
#   ruby -Ilib examples/zguide/rtreq.rb [WORKERS] [SECONDS]
#
# Binds tcp://*:$RT_PORT (5671). WORKERS defaults to 10, SECONDS (the working time) to 5.
# Each task takes 1..$MAX_WORK_MS (default 100) ms. Every wait is bounded by
# $TIMEOUT_MS (default 5000).

require_relative "zhelpers"

$stdout.sync = true

workers = Integer(ARGV[0] || 10)
seconds = Float(ARGV[1] || 5)
max_work = Integer(ENV.fetch("MAX_WORK_MS", "100"))
timeout = Integer(ENV.fetch("TIMEOUT_MS", "5000"))
port = ENV.fetch("RT_PORT", "5671")

ctx = ZMQ::Context.new
broker = ctx.socket(:ROUTER)
broker.rcvtimeo = timeout
broker.bind("tcp://*:#{port}")

threads = Array.new(workers) do
  Thread.new do
    worker = ctx.socket(:REQ)
    worker.rcvtimeo = timeout
    worker.random_identity!
    worker.connect("tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{port}")
    total = 0
    loop do
      worker.send("Hi Boss")
      workload = worker.recv
      raise "worker: no answer from the boss" if workload.nil?
      break if workload == "Fired!"

      sleep rand(1..max_work) / 1000.0
      total += 1
    end
    puts "Completed: #{total} tasks"
    worker.close
    total
  end
end

stop_at = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
fired = 0
while fired < workers
  # [identity of the worker's REQ socket]["" delimiter]["Hi Boss"]
  identity = broker.recv
  abort "rtreq: no worker asked within #{timeout} ms" if identity.nil?

  broker.recv # the delimiter
  broker.recv # the request
  broker.sendm(identity)
  broker.sendm("")
  if Process.clock_gettime(Process::CLOCK_MONOTONIC) < stop_at
    broker.send("Work harder")
  else
    broker.send("Fired!")
    fired += 1
  end
end

totals = threads.map(&:value)
puts "rtreq: #{workers} workers did #{totals.sum} tasks (fewest #{totals.min}, most #{totals.max})"
ctx.destroy
