# frozen_string_literal: true

# Request-reply worker: a REP socket connected to the broker's backend. It answers each
# "Hello" with "World".
#
#   ruby -Ilib examples/rrworker.rb [MAX_REQUESTS]
#
# Connects to tcp://$ZMQ_HOST:$RR_BACKEND_PORT (default localhost:5560). It exits when it
# has answered MAX_REQUESTS requests (default: no limit), or when no request came for
# $IDLE_MS milliseconds (default 3000): workers do not know how much work there is.

require "zmq"

$stdout.sync = true

limit = ARGV[0] ? Integer(ARGV[0]) : Float::INFINITY
endpoint = "tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{ENV.fetch('RR_BACKEND_PORT', '5560')}"

ctx = ZMQ::Context.new
responder = ctx.socket(:REP)
responder.rcvtimeo = Integer(ENV.fetch("IDLE_MS", "3000"))
responder.connect(endpoint)

answered = 0
while answered < limit
  request = responder.recv
  break unless request # idle: no more work

  puts "Received request: [#{request}]"
  sleep 0.01 # "work"
  responder.send("World")
  answered += 1
end

puts "rrworker #{Process.pid}: answered #{answered} requests"
ctx.linger = 500 # let the last reply leave
ctx.destroy
