# frozen_string_literal: true

# Task worker: PULLs workloads from the ventilator, "works" (sleeps that many
# milliseconds), and PUSHes a result to the sink. Start as many as you like.
#
#   ruby -Ilib examples/taskwork.rb
#
# Connects to tcp://$ZMQ_HOST:$TASK_VENT_PORT (default localhost:5557) and
# tcp://$ZMQ_HOST:$TASK_SINK_PORT (5558). Exits once no task came for $IDLE_MS
# milliseconds (default 3000).

require "zmq"

$stdout.sync = true

host = ENV.fetch("ZMQ_HOST", "localhost")

ctx = ZMQ::Context.new
receiver = ctx.socket(:PULL)
receiver.rcvtimeo = Integer(ENV.fetch("IDLE_MS", "3000"))
receiver.connect("tcp://#{host}:#{ENV.fetch('TASK_VENT_PORT', '5557')}")
sender = ctx.socket(:PUSH)
sender.connect("tcp://#{host}:#{ENV.fetch('TASK_SINK_PORT', '5558')}")

done = 0
while (workload = receiver.recv)
  print "." # progress
  sleep Integer(workload) / 1000.0
  sender.send("")
  done += 1
end

puts "\ntaskwork #{Process.pid}: did #{done} tasks"
ctx.linger = 1000 # the last results still have to reach the sink
ctx.destroy
