# frozen_string_literal: true

# zguide ch. 1, task worker: PULLs workloads from the ventilator, "works" (sleeps) that
# many milliseconds and PUSHes an empty result to the sink.
#
#   ruby -Ilib examples/zguide/taskwork.rb
#
# Connects to tcp://$ZMQ_HOST:$TASK_VENT_PORT (localhost:5557) and
# tcp://$ZMQ_HOST:$TASK_SINK_PORT (localhost:5558). The zguide worker never stops; this
# one stops when no task came for $IDLE_MS (default 3000) and says how many it did.

require "rbczmq"

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
  print "#{workload}."
  sleep Integer(workload, 10) / 1000.0
  sender.send("")
  done += 1
end

puts
puts "taskwork: did #{done} tasks"
ctx.linger = 1000 # the last result may still be on its way
ctx.destroy
