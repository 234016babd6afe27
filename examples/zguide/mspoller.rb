# frozen_string_literal: true

# zguide ch. 2, reading from two sockets the right way: a ZMQ::Poller waits on the task
# PULL socket and the weather SUB socket at once, so nothing spins and nothing waits
# behind a sleep.
#
#   ruby -Ilib examples/zguide/mspoller.rb [TASKS] [UPDATES]
#
# Same sockets as msreader.rb ($TASK_VENT_PORT, $WU_PORT, zip code 10001). Stops once it
# has TASKS tasks (default 100) and UPDATES updates (default 20), or, status 1, when
# nothing arrives for $IDLE_S seconds (default 10).

require "rbczmq"

$stdout.sync = true

tasks_wanted = Integer(ARGV[0] || 100)
updates_wanted = Integer(ARGV[1] || 20)
host = ENV.fetch("ZMQ_HOST", "localhost")
idle = Float(ENV.fetch("IDLE_S", "10"))

ctx = ZMQ::Context.new
receiver = ctx.socket(:PULL)
receiver.connect("tcp://#{host}:#{ENV.fetch('TASK_VENT_PORT', '5557')}")
subscriber = ctx.socket(:SUB)
subscriber.connect("tcp://#{host}:#{ENV.fetch('WU_PORT', '5556')}")
subscriber.subscribe("10001 ")

poller = ZMQ::Poller.new
poller.register(ZMQ::Pollitem.new(receiver, ZMQ::POLLIN))
poller.register(ZMQ::Pollitem.new(subscriber, ZMQ::POLLIN))

tasks = updates = 0
until tasks >= tasks_wanted && updates >= updates_wanted
  if poller.poll(idle).zero?
    warn "mspoller: nothing for #{idle} s, with #{tasks} tasks and #{updates} updates"
    ctx.destroy
    exit 1
  end
  if poller.readables.include?(receiver)
    task = receiver.recv
    tasks += 1
    puts "task #{tasks}: #{task} msec" if tasks == tasks_wanted
  end
  if poller.readables.include?(subscriber)
    update = subscriber.recv
    updates += 1
    puts "update #{updates}: #{update}" if updates == updates_wanted
  end
end

puts "mspoller: read #{tasks} tasks and #{updates} weather updates"
ctx.destroy
