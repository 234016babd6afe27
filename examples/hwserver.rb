# frozen_string_literal: true

# Hello World server: a REP socket that answers every "Hello" with "World".
#
#   ruby -Ilib examples/hwserver.rb [REQUESTS]
#
# Serves REQUESTS requests (default 10, or $HW_REQUESTS) and exits. It also exits, with
# status 1, if no request arrives for $IDLE_MS milliseconds (default 10000), so that it
# never runs forever. Binds tcp://*:$HW_PORT (default 5555).

require "zmq"

$stdout.sync = true

requests = Integer(ARGV[0] || ENV.fetch("HW_REQUESTS", "10"))
port = ENV.fetch("HW_PORT", "5555")

ctx = ZMQ::Context.new
responder = ctx.socket(:REP)
responder.rcvtimeo = Integer(ENV.fetch("IDLE_MS", "10000"))
responder.bind("tcp://*:#{port}")

served = 0
while served < requests
  request = responder.recv
  unless request
    warn "hwserver: no request for #{responder.rcvtimeo} ms, giving up after #{served}"
    ctx.destroy
    exit 1
  end
  puts "Received request #{served} [#{request}]"
  sleep 0.01 # "work"
  responder.send("World")
  served += 1
end

puts "hwserver: served #{served} requests"
ctx.linger = 500 # let the last reply leave before the socket closes
ctx.destroy
