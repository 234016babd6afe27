# frozen_string_literal: true

# zguide ch. 1, "Hello World" client: a REQ socket sends "Hello" and waits for "World",
# strictly alternating.
#
#   ruby -Ilib examples/zguide/hwclient.rb [REQUESTS]
#
# Connects to tcp://$ZMQ_HOST:$HW_PORT (localhost:5555) and makes REQUESTS round trips
# (default 10). A reply that does not come within $TIMEOUT_MS (5000) ends it, status 1.

require "rbczmq"

$stdout.sync = true

requests = Integer(ARGV[0] || 10)
endpoint = "tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{ENV.fetch('HW_PORT', '5555')}"

ctx = ZMQ::Context.new
requester = ctx.socket(ZMQ::REQ)
requester.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "5000"))
puts "Connecting to hello world server..."
requester.connect(endpoint)

requests.times do |nbr|
  puts "Sending Hello #{nbr}..."
  requester.send("Hello")
  reply = requester.recv
  abort "hwclient: no reply to request #{nbr}" if reply.nil?

  puts "Received #{reply} #{nbr}"
end

ctx.destroy
