# frozen_string_literal: true

# Task sink: waits for the ventilator's batch start signal (the number of tasks), then
# collects that many results from the workers and reports the elapsed time.
#
#   ruby -Ilib examples/tasksink.rb
#
# Binds tcp://*:$TASK_SINK_PORT (default 5558). Fails (status 1) if the batch does not
# start, or a result does not come, within $TIMEOUT_MS (default 10000).

require "zmq"

$stdout.sync = true

ctx = ZMQ::Context.new
receiver = ctx.socket(:PULL)
receiver.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "10000"))
receiver.bind("tcp://*:#{ENV.fetch('TASK_SINK_PORT', '5558')}")

start = receiver.recv
abort "tasksink: the batch never started" unless start
tasks = Integer(start)
started_at = Process.clock_gettime(Process::CLOCK_MONOTONIC)

received = 0
while received < tasks
  break unless receiver.recv

  received += 1
  print(received % 10 == 0 ? ":" : ".")
end

elapsed = ((Process.clock_gettime(Process::CLOCK_MONOTONIC) - started_at) * 1000).round
puts "\nReceived #{received} of #{tasks} results"
puts "Total elapsed time: #{elapsed} msec"
ctx.destroy
exit(received == tasks ? 0 : 1)
