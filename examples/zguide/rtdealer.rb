# frozen_string_literal: true

# zguide ch. 3, ROUTER-to-DEALER load balancing: as rtreq.rb, but the workers use
# DEALER sockets, so they write and read the empty delimiter frame themselves.
#
#   ruby -Ilib examples/zguide/rtdealer.rb [WORKERS] [SECONDS]
#
# Binds tcp://*:$RT_PORT (5671). WORKERS defaults to 10, SECONDS to 5, each task takes
# 1..$MAX_WORK_MS (default 100) ms; every wait is bounded by $TIMEOUT_MS (default 5000).

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
    worker = ctx.socket(:DEALER)
    worker.rcvtimeo = timeout
    worker.random_identity!
    worker.connect("tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{port}")
    total = 0
    loop do
      # A DEALER sends exactly the frames it is given: the delimiter is ours to add.
      worker.sendm("")
      worker.send("Hi Boss")
      delimiter = worker.recv
      workload = worker.recv
      raise "worker: no answer from the boss" if workload.nil?
      raise "worker: envelope without a delimiter" unless delimiter == ""
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
  identity = broker.recv
  abort "rtdealer: no worker asked within #{timeout} ms" if identity.nil?

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
puts "rtdealer: #{workers} workers did #{totals.sum} tasks (fewest #{totals.min}, most #{totals.max})"
ctx.destroy
