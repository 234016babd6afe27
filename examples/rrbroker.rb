# frozen_string_literal: true

# Request-reply broker: clients' REQ sockets connect to a ROUTER (frontend), workers' REP
# sockets connect to a DEALER (backend), and ZMQ.proxy shuttles messages both ways, so
# clients and workers can come and go without knowing each other.
#
#   ruby -Ilib examples/rrbroker.rb [REPLIES]
#
# Binds tcp://*:$RR_FRONTEND_PORT (default 5559) and tcp://*:$RR_BACKEND_PORT (5560).
# The proxy also copies every message to a capture socket; a thread reads those copies
# and stops the broker (by destroying the context) once REPLIES replies (default 10, or
# $RR_REQUESTS) went back to clients, or after $IDLE_MS (default 10000) of silence.

require "zmq"

$stdout.sync = true

replies_wanted = Integer(ARGV[0] || ENV.fetch("RR_REQUESTS", "10"))
idle_ms = Integer(ENV.fetch("IDLE_MS", "10000"))

ctx = ZMQ::Context.new
frontend = ctx.socket(:ROUTER)
frontend.bind("tcp://*:#{ENV.fetch('RR_FRONTEND_PORT', '5559')}")
backend = ctx.socket(:DEALER)
backend.bind("tcp://*:#{ENV.fetch('RR_BACKEND_PORT', '5560')}")
capture = ctx.socket(:PUSH)
capture.bind("inproc://capture")

replies = 0
counter = Thread.new do
  copies = ctx.socket(:PULL)
  copies.rcvtimeo = idle_ms
  copies.connect("inproc://capture")
  # A message from the frontend starts with the client's identity (set by the ROUTER).
  # A reply coming back from the backend carries the same envelope; the two directions
  # are told apart by the body: workers answer "World".
  while replies < replies_wanted
    parts = [copies.recv]
    break unless parts.first

    parts << copies.recv while copies.rcvmore?
    replies += 1 if parts.last == "World"
  end
  sleep 0.2 # let the last reply reach its client
  ctx.destroy
end

puts "rrbroker: brokering between clients and workers"
ZMQ.proxy(frontend, backend, capture)
counter.join
puts "rrbroker: relayed #{replies} replies"
exit(replies == replies_wanted ? 0 : 1)
