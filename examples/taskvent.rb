# frozen_string_literal: true

# Task ventilator (divide and conquer): hands out TASKS tasks over PUSH to every
# connected worker (taskwork.rb), after telling the sink (tasksink.rb) that a batch
# starts. Each task is a workload in milliseconds the worker "spends" sleeping.
#
#   ruby -Ilib examples/taskvent.rb [TASKS]
#
# Binds tcp://*:$TASK_VENT_PORT (default 5557) for the workers and connects to the sink
# at tcp://$ZMQ_HOST:$TASK_SINK_PORT (default localhost:5558). The zguide waits for Enter
# while workers connect; here it waits $START_DELAY_MS (default 1000) instead.

require "zmq"

$stdout.sync = true

tasks = Integer(ARGV[0] || ENV.fetch("TASKS", "20"))
host = ENV.fetch("ZMQ_HOST", "localhost")

ctx = ZMQ::Context.new
sender = ctx.socket(:PUSH)
sender.bind("tcp://*:#{ENV.fetch('TASK_VENT_PORT', '5557')}")
sink = ctx.socket(:PUSH)
sink.connect("tcp://#{host}:#{ENV.fetch('TASK_SINK_PORT', '5558')}")

puts "taskvent: waiting for workers to connect..."
sleep Integer(ENV.fetch("START_DELAY_MS", "1000")) / 1000.0

# The batch start signal: the sink starts its clock and expects `tasks` results.
sink.send(tasks.to_s)

random = Random.new(ENV.fetch("SEED", "42").to_i)
total_msec = 0
tasks.times do
  workload = random.rand(1..50)
  total_msec += workload
  sender.send(workload.to_s)
end
puts "taskvent: sent #{tasks} tasks, total expected cost: #{total_msec} msec"

ctx.linger = 2000 # queued tasks still have to leave
ctx.destroy
