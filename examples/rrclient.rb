# frozen_string_literal: true

# Request-reply client: a REQ socket connected to the broker's frontend. It sends "Hello"
# and waits for each "World", whichever worker answers it.
#
#   ruby -Ilib examples/rrclient.rb [REQUESTS]
#
# Sends REQUESTS requests (default 10, or $RR_REQUESTS) to
# tcp://$ZMQ_HOST:$RR_FRONTEND_PORT (default localhost:5559). A reply missing for
# $TIMEOUT_MS (default 5000) ends the program with status 1.

require "zmq"

$stdout.sync = true

requests = Integer(ARGV[0] || ENV.fetch("RR_REQUESTS", "10"))
endpoint = "tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{ENV.fetch('RR_FRONTEND_PORT', '5559')}"

ctx = ZMQ::Context.new
requester = ctx.socket(:REQ)
# The broker's ROUTER puts this identity on the envelope of our requests (otherwise it
# makes one up); it must be set before connecting.
requester.identity = "client-#{Process.pid}"
requester.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "5000"))
requester.connect(endpoint)

requests.times do |n|
  requester.send("Hello")
  reply = requester.recv
  unless reply
    warn "rrclient: no reply to request #{n}"
    ctx.destroy
    exit 1
  end
  puts "Received reply #{n} [#{reply}]"
end

ctx.destroy
