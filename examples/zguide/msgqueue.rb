# frozen_string_literal: true

# zguide ch. 2, message queue broker: the request-reply broker again, with the built-in
# proxy (ZMQ.proxy) between the ROUTER frontend and the DEALER backend.
#
#   ruby -Ilib examples/zguide/msgqueue.rb [REPLIES]
#
# Binds tcp://*:$RR_FRONTEND_PORT (5559) and tcp://*:$RR_BACKEND_PORT (5560). ZMQ.proxy
# only returns when the context goes away, so a watcher thread reads the proxy's capture
# copies and destroys the context after REPLIES replies (default 10, recognised as the
# workers' "World"), or, status 1, after $IDLE_MS (default 10000) without traffic.

require "rbczmq"

$stdout.sync = true

replies_wanted = Integer(ARGV[0] || 10)

ctx = ZMQ::Context.new
frontend = ctx.socket(:ROUTER)
frontend.bind("tcp://*:#{ENV.fetch('RR_FRONTEND_PORT', '5559')}")
backend = ctx.socket(:DEALER)
backend.bind("tcp://*:#{ENV.fetch('RR_BACKEND_PORT', '5560')}")
capture = ctx.socket(:PUSH)
capture.bind("inproc://capture")

replies = 0
watcher = Thread.new do
  copies = ctx.socket(:PULL)
  copies.rcvtimeo = Integer(ENV.fetch("IDLE_MS", "10000"))
  copies.connect("inproc://capture")
  while replies < replies_wanted && (message = copies.recv_message)
    replies += 1 if message.last.data == "World"
  end
  sleep 0.2 # the last reply is on its way to its client
  ctx.destroy
end

ZMQ.proxy(frontend, backend, capture)
watcher.join
puts "msgqueue: relayed #{replies} replies"
exit(replies == replies_wanted ? 0 : 1)
