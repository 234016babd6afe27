# frozen_string_literal: true

# zguide ch. 1, "Hello World" server: a REP socket answers every request with "World".
#
#   ruby -Ilib examples/zguide/hwserver.rb [REQUESTS]
#
# Binds tcp://*:$HW_PORT (5555). The zguide serves for ever and "works" a second per
# request; this one answers REQUESTS requests (default 10), works $WORK_MS (default 10)
# each, and gives up with status 1 when no request arrives within $IDLE_MS (10000).

require "rbczmq"

$stdout.sync = true

requests = Integer(ARGV[0] || 10)
work = Integer(ENV.fetch("WORK_MS", "10")) / 1000.0

ctx = ZMQ::Context.new
responder = ctx.socket(:REP)
responder.rcvtimeo = Integer(ENV.fetch("IDLE_MS", "10000"))
responder.bind("tcp://*:#{ENV.fetch('HW_PORT', '5555')}")

requests.times do
  request = responder.recv
  abort "hwserver: no request within #{responder.rcvtimeo} ms" if request.nil?

  puts "Received request: #{request}"
  sleep work
  responder.send("World")
end

puts "hwserver: answered #{requests} requests"
ctx.linger = 500 # the last reply is still queued: give it time to leave
ctx.destroy
