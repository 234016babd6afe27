# frozen_string_literal: true

# zguide ch. 3 ("Handling Errors and ETERM"), task sink with a kill signal: like
# tasksink.rb, and once every result is in it PUBlishes "KILL" so that the workers
# (taskwork2.rb) stop.
#
#   ruby -Ilib examples/zguide/tasksink2.rb [TASKS]
#
# Binds tcp://*:$TASK_SINK_PORT (5558) for results and tcp://*:$TASK_CTRL_PORT (5559) for
# the kill signal. TASKS defaults to 100; $TIMEOUT_MS (10000) bounds every wait.

require "rbczmq"

$stdout.sync = true

tasks = Integer(ARGV[0] || 100)

ctx = ZMQ::Context.new
receiver = ctx.socket(:PULL)
receiver.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "10000"))
receiver.bind("tcp://*:#{ENV.fetch('TASK_SINK_PORT', '5558')}")
controller = ctx.socket(:PUB)
controller.bind("tcp://*:#{ENV.fetch('TASK_CTRL_PORT', '5559')}")

abort "tasksink2: no start of batch" if receiver.recv.nil?

started = Process.clock_gettime(Process::CLOCK_MONOTONIC, :millisecond)
tasks.times do |nbr|
  abort "\ntasksink2: only #{nbr} of #{tasks} results" if receiver.recv.nil?

  print((nbr % 10).zero? ? ":" : ".")
end
puts
puts "Received #{tasks} results"
puts "Total elapsed time: #{Process.clock_gettime(Process::CLOCK_MONOTONIC, :millisecond) - started} msec"

controller.send("KILL")
puts "tasksink2: sent KILL to the workers"
ctx.linger = 1000 # the kill signal must reach the workers before the socket closes
ctx.destroy
