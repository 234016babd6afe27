# frozen_string_literal: true

# zguide ch. 2, reading from two sockets the crude way: tasks from the ventilator (PULL)
# and weather updates (SUB) are drained with recv_nonblock, then the loop sleeps a
# millisecond and tries again.
#
#   ruby -Ilib examples/zguide/msreader.rb [TASKS] [UPDATES]
#
# Connects to tcp://$ZMQ_HOST:$TASK_VENT_PORT (taskvent.rb, localhost:5557) and
# tcp://$ZMQ_HOST:$WU_PORT (wuserver.rb, localhost:5556), subscribed to zip code 10001.
# The zguide reads for ever; this one stops once it has TASKS tasks (default 100) and
# UPDATES updates (default 20), or, status 1, after $DEADLINE_S seconds (default 20).

require "rbczmq"

$stdout.sync = true

tasks_wanted = Integer(ARGV[0] || 100)
updates_wanted = Integer(ARGV[1] || 20)
host = ENV.fetch("ZMQ_HOST", "localhost")

ctx = ZMQ::Context.new
receiver = ctx.socket(:PULL)
receiver.connect("tcp://#{host}:#{ENV.fetch('TASK_VENT_PORT', '5557')}")
subscriber = ctx.socket(:SUB)
subscriber.connect("tcp://#{host}:#{ENV.fetch('WU_PORT', '5556')}")
subscriber.subscribe("10001 ")

deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + Float(ENV.fetch("DEADLINE_S", "20"))
tasks = updates = 0
until tasks >= tasks_wanted && updates >= updates_wanted
  while (task = receiver.recv_nonblock)
    tasks += 1 # a real reader would process the task here
    puts "task #{tasks}: #{task} msec" if tasks == tasks_wanted
  end
  while (update = subscriber.recv_nonblock)
    updates += 1 # ... and the weather update here
    puts "update #{updates}: #{update}" if updates == updates_wanted
  end
  if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
    warn "msreader: deadline passed with #{tasks} tasks and #{updates} updates"
    ctx.destroy
    exit 1
  end
  sleep 0.001 # nothing on either socket: wait a little
end

puts "msreader: read #{tasks} tasks and #{updates} weather updates"
ctx.destroy
