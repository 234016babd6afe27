# frozen_string_literal: true

# zguide ch. 2, request-reply client: a REQ socket talking to the broker's frontend
# (rrbroker.rb, rrbroker2.rb or msgqueue.rb) instead of to a server.
#
#   ruby -Ilib examples/zguide/rrclient.rb [REQUESTS]
#
# Connects to tcp://$ZMQ_HOST:$RR_FRONTEND_PORT (localhost:5559), makes REQUESTS round
# trips (default 10). Status 1 when a reply takes more than $TIMEOUT_MS (5000).

require "rbczmq"

$stdout.sync = true

requests = Integer(ARGV[0] || 10)

ctx = ZMQ::Context.new
requester = ctx.socket(:REQ)
requester.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "5000"))
requester.connect("tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{ENV.fetch('RR_FRONTEND_PORT', '5559')}")

requests.times do |nbr|
  requester.send("Hello")
  reply = requester.recv
  abort "rrclient: no reply to request #{nbr}" if reply.nil?

  puts "Received reply #{nbr} [#{reply}]"
end

ctx.destroy
