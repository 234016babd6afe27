# frozen_string_literal: true

# Hello World client: a REQ socket sends "Hello" and waits for each "World".
#
#   ruby -Ilib examples/hwclient.rb [REQUESTS]
#
# Sends REQUESTS requests (default 10, or $HW_REQUESTS) to tcp://$ZMQ_HOST:$HW_PORT
# (default localhost:5555). Each reply is awaited at most $TIMEOUT_MS (default 5000);
# a missing reply ends the program with status 1.

require "zmq"

$stdout.sync = true

requests = Integer(ARGV[0] || ENV.fetch("HW_REQUESTS", "10"))
endpoint = "tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{ENV.fetch('HW_PORT', '5555')}"

ctx = ZMQ::Context.new
requester = ctx.socket(ZMQ::REQ)
requester.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "5000"))
requester.connect(endpoint)
puts "Connecting to hello world server at #{endpoint}"

requests.times do |n|
  requester.send("Hello")
  reply = requester.recv
  unless reply
    warn "hwclient: no reply to request #{n} within #{requester.rcvtimeo} ms"
    ctx.destroy
    exit 1
  end
  puts "Received reply #{n} [#{reply}]"
end

ctx.destroy
