# frozen_string_literal: true

# zguide ch. 2, request-reply worker: a REP socket connected to the broker's backend,
# so any number of workers can serve any number of clients.
#
#   ruby -Ilib examples/zguide/rrworker.rb
#
# Connects to tcp://$ZMQ_HOST:$RR_BACKEND_PORT (localhost:5560). The zguide worker runs
# for ever; this one stops when no request came for $IDLE_MS (default 3000) and says how
# many it answered. $WORK_MS (default 10) is the time each request "takes".

require "rbczmq"

$stdout.sync = true

work = Integer(ENV.fetch("WORK_MS", "10")) / 1000.0

ctx = ZMQ::Context.new
responder = ctx.socket(:REP)
responder.rcvtimeo = Integer(ENV.fetch("IDLE_MS", "3000"))
responder.connect("tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{ENV.fetch('RR_BACKEND_PORT', '5560')}")

answered = 0
while (request = responder.recv)
  puts "Received request: [#{request}]"
  sleep work
  responder.send("World")
  answered += 1
end

puts "rrworker: answered #{answered} requests"
ctx.linger = 500
ctx.destroy
