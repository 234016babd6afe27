# frozen_string_literal: true

# zguide ch. 1, task ventilator: tells the sink a batch starts, then PUSHes tasks (a
# workload in milliseconds each) to whichever workers are connected.
#
#   ruby -Ilib examples/zguide/taskvent.rb [TASKS]
#
# Binds tcp://*:$TASK_VENT_PORT (5557) for the workers (taskwork.rb, taskwork2.rb) and
# connects to the sink (tasksink.rb, tasksink2.rb) at tcp://$ZMQ_HOST:$TASK_SINK_PORT
# (localhost:5558). The zguide sends 100 tasks of 1..100 ms once you press Enter (so the
# workers have connected by then); this one sends TASKS tasks (default 100) of
# 1..$MAX_WORK_MS (default 20) ms, and waits for Enter only on a terminal, otherwise
# $START_DELAY_MS (default 1000).

require "rbczmq"

$stdout.sync = true

tasks = Integer(ARGV[0] || 100)
max_work = Integer(ENV.fetch("MAX_WORK_MS", "20"))
host = ENV.fetch("ZMQ_HOST", "localhost")

ctx = ZMQ::Context.new
sender = ctx.socket(:PUSH)
sender.bind("tcp://*:#{ENV.fetch('TASK_VENT_PORT', '5557')}")
sink = ctx.socket(:PUSH)
sink.connect("tcp://#{host}:#{ENV.fetch('TASK_SINK_PORT', '5558')}")

if $stdin.tty?
  print "Press Enter when the workers are ready: "
  $stdin.gets
else
  sleep Integer(ENV.fetch("START_DELAY_MS", "1000")) / 1000.0
end
puts "Sending tasks to workers..."

# The first message is "0": it tells the sink a batch begins.
sink.send("0")

rng = Random.new
total_msec = 0
tasks.times do
  workload = rng.rand(1..max_work)
  total_msec += workload
  sender.send(workload.to_s)
end
puts "Total expected cost: #{total_msec} msec"

ctx.linger = 2000 # tasks may still be queued for slow workers
ctx.destroy
