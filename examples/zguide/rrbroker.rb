# frozen_string_literal: true

# zguide ch. 2, request-reply broker: a ROUTER frontend for the clients, a DEALER
# backend for the workers, and a ZMQ::Poller loop that moves each multipart message,
# frame by frame, from whichever side is readable to the other.
#
#   ruby -Ilib examples/zguide/rrbroker.rb [REPLIES]
#
# Binds tcp://*:$RR_FRONTEND_PORT (5559) and tcp://*:$RR_BACKEND_PORT (5560). The zguide
# broker runs for ever; this one stops after relaying REPLIES replies (default 10), or,
# status 1, when nothing moves for $IDLE_S seconds (default 10).

require "rbczmq"

$stdout.sync = true

replies_wanted = Integer(ARGV[0] || 10)
idle = Float(ENV.fetch("IDLE_S", "10"))

ctx = ZMQ::Context.new
frontend = ctx.socket(:ROUTER)
frontend.bind("tcp://*:#{ENV.fetch('RR_FRONTEND_PORT', '5559')}")
backend = ctx.socket(:DEALER)
backend.bind("tcp://*:#{ENV.fetch('RR_BACKEND_PORT', '5560')}")

poller = ZMQ::Poller.new
poller.register_readable(frontend)
poller.register_readable(backend)

# Moves one whole multipart message: every frame but the last goes out with sendm.
relay = lambda do |from, to|
  loop do
    frame = from.recv
    if from.rcvmore?
      to.sendm(frame)
    else
      to.send(frame)
      break
    end
  end
end

relayed = 0
while relayed < replies_wanted
  if poller.poll(idle).zero?
    warn "rrbroker: idle for #{idle} s after #{relayed} replies"
    ctx.destroy
    exit 1
  end
  relay.call(frontend, backend) if poller.readables.include?(frontend)
  next unless poller.readables.include?(backend)

  relay.call(backend, frontend)
  relayed += 1
end

puts "rrbroker: relayed #{relayed} replies"
ctx.linger = 500
ctx.destroy
