# frozen_string_literal: true

# zguide ch. 3 ("Handling Errors and ETERM"), task worker with a kill signal: like
# taskwork.rb, but it also SUBscribes to the sink's control channel and polls both
# sockets with a ZMQ::Poller; "KILL" on the control channel ends it.
#
#   ruby -Ilib examples/zguide/taskwork2.rb
#
# Connects to the ventilator (tcp://$ZMQ_HOST:$TASK_VENT_PORT, localhost:5557) and to the
# sink (tcp://$ZMQ_HOST:$TASK_SINK_PORT, 5558, and $TASK_CTRL_PORT, 5559). The zguide
# polls with no timeout; this one gives up, status 1, after $IDLE_S seconds (default 15)
# without any message.

require "rbczmq"

$stdout.sync = true

host = ENV.fetch("ZMQ_HOST", "localhost")
idle = Float(ENV.fetch("IDLE_S", "15"))

ctx = ZMQ::Context.new
receiver = ctx.socket(:PULL)
receiver.connect("tcp://#{host}:#{ENV.fetch('TASK_VENT_PORT', '5557')}")
sender = ctx.socket(:PUSH)
sender.connect("tcp://#{host}:#{ENV.fetch('TASK_SINK_PORT', '5558')}")
controller = ctx.socket(:SUB)
controller.connect("tcp://#{host}:#{ENV.fetch('TASK_CTRL_PORT', '5559')}")
controller.subscribe("")

poller = ZMQ::Poller.new
poller.register(ZMQ::Pollitem.new(receiver, ZMQ::POLLIN))
poller.register(ZMQ::Pollitem.new(controller, ZMQ::POLLIN))

done = 0
killed = false
until killed
  if poller.poll(idle).zero?
    warn "\ntaskwork2: nothing for #{idle} s and no KILL; giving up after #{done} tasks"
    ctx.destroy
    exit 1
  end

  if poller.readables.include?(receiver)
    workload = receiver.recv
    print "#{workload}."
    sleep Integer(workload, 10) / 1000.0
    sender.send("")
    done += 1
  end
  killed = poller.readables.include?(controller) && controller.recv == "KILL"
end

puts
puts "taskwork2: KILL received after #{done} tasks"
ctx.destroy
