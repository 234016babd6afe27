# frozen_string_literal: true

# Reading from two sockets with the reactor: mspoller.rb's task PULL socket and weather
# SUB socket, each registered with ZL.register_readable and a ZMQ::Handler subclass.
# The handlers read with Handler#recv (which does not block: the loop only calls them
# when their socket is readable) and return false, which stops the loop, once both
# counts are reached.
#
#   ruby -Ilib examples/zguide/mspoller2.rb [TASKS] [UPDATES]
#
# Same sockets and defaults as mspoller.rb; a one-shot timer ends the loop after
# $DEADLINE_S (default 20) seconds, and then the exit status is 1.

require "rbczmq"

$stdout.sync = true

# How many of each the reader has, and how many it wants.
Tally = Struct.new(:tasks, :updates, :tasks_wanted, :updates_wanted) do
  def done?
    tasks >= tasks_wanted && updates >= updates_wanted
  end
end

class TaskHandler < ZMQ::Handler
  def initialize(pollitem, tally)
    super
    @tally = tally
  end

  def on_readable
    while (task = recv)
      @tally.tasks += 1
      puts "task #{@tally.tasks}: #{task} msec" if @tally.tasks == @tally.tasks_wanted
    end
    !@tally.done?
  end
end

class WeatherHandler < ZMQ::Handler
  def initialize(pollitem, tally)
    super
    @tally = tally
  end

  def on_readable
    while (update = recv)
      @tally.updates += 1
      puts "update #{@tally.updates}: #{update}" if @tally.updates == @tally.updates_wanted
    end
    !@tally.done?
  end
end

tally = Tally.new(0, 0, Integer(ARGV[0] || 100), Integer(ARGV[1] || 20))
host = ENV.fetch("ZMQ_HOST", "localhost")

ctx = ZMQ::Context.new
receiver = ctx.socket(:PULL)
receiver.connect("tcp://#{host}:#{ENV.fetch('TASK_VENT_PORT', '5557')}")
subscriber = ctx.socket(:SUB)
subscriber.connect("tcp://#{host}:#{ENV.fetch('WU_PORT', '5556')}")
subscriber.subscribe("10001 ")

ZL.run do
  ZL.register_readable(receiver, TaskHandler, tally)
  ZL.register_readable(subscriber, WeatherHandler, tally)
  ZL.add_oneshot_timer(Float(ENV.fetch("DEADLINE_S", "20"))) { false }
end

unless tally.done?
  warn "mspoller2: deadline passed with #{tally.tasks} tasks and #{tally.updates} updates"
  ctx.destroy
  exit 1
end
puts "mspoller2: read #{tally.tasks} tasks and #{tally.updates} weather updates"
ctx.destroy
