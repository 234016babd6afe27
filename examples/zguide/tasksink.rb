# frozen_string_literal: true

# zguide ch. 1, task sink: waits for the ventilator's start signal, then collects one
# result per task and prints how long the whole batch took.
#
#   ruby -Ilib examples/zguide/tasksink.rb [TASKS]
#
# Binds tcp://*:$TASK_SINK_PORT (5558) and expects TASKS results (default 100, as the
# ventilator sends). Status 1 when the start signal or a result does not come within
# $TIMEOUT_MS (default 10000).

require "rbczmq"

$stdout.sync = true

tasks = Integer(ARGV[0] || 100)

ctx = ZMQ::Context.new
receiver = ctx.socket(:PULL)
receiver.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "10000"))
receiver.bind("tcp://*:#{ENV.fetch('TASK_SINK_PORT', '5558')}")

abort "tasksink: no start of batch" if receiver.recv.nil?

started = Process.clock_gettime(Process::CLOCK_MONOTONIC, :millisecond)
tasks.times do |nbr|
  abort "\ntasksink: only #{nbr} of #{tasks} results" if receiver.recv.nil?

  print((nbr % 10).zero? ? ":" : ".")
end
puts
puts "Received #{tasks} results"
puts "Total elapsed time: #{Process.clock_gettime(Process::CLOCK_MONOTONIC, :millisecond) - started} msec"

ctx.destroy
