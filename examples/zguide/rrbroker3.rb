# frozen_string_literal: true

# The request-reply broker once more, on the reactor with blocks: block_handler.rb adds
# ZL.register_readable_block, and each side of the broker is a block that moves one
# whole message (recv_message/send_message) to the other side.
#
#   ruby -Ilib examples/zguide/rrbroker3.rb [REPLIES]
#
# Same endpoints as rrbroker.rb ($RR_FRONTEND_PORT 5559, $RR_BACKEND_PORT 5560). The reply
# block returns false after REPLIES replies (default 10), which stops the loop; a
# periodic timer stops it, status 1, once nothing moved for $IDLE_S (default 10).

require_relative "block_handler"

$stdout.sync = true

replies_wanted = Integer(ARGV[0] || 10)
idle = Float(ENV.fetch("IDLE_S", "10"))

ctx = ZMQ::Context.new
frontend = ctx.socket(:ROUTER)
frontend.bind("tcp://*:#{ENV.fetch('RR_FRONTEND_PORT', '5559')}")
backend = ctx.socket(:DEALER)
backend.bind("tcp://*:#{ENV.fetch('RR_BACKEND_PORT', '5560')}")

clock = -> { Process.clock_gettime(Process::CLOCK_MONOTONIC) }
last_activity = clock.call
relayed = 0
idle_out = false

ZL.run do
  ZL.register_readable_block(frontend) do |_event, pollitem|
    backend.send_message(pollitem.pollable.recv_message)
    last_activity = clock.call
  end
  ZL.register_readable_block(backend) do |_event, pollitem|
    frontend.send_message(pollitem.pollable.recv_message)
    last_activity = clock.call
    relayed += 1
    relayed < replies_wanted
  end
  ZL.add_periodic_timer(0.25) do
    idle_out = clock.call - last_activity > idle
    !idle_out
  end
end

if idle_out
  warn "rrbroker3: idle for #{idle} s after #{relayed} replies"
  ctx.destroy
  exit 1
end
puts "rrbroker3: relayed #{relayed} replies"
ctx.linger = 500
ctx.destroy
