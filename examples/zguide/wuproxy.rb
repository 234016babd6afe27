# frozen_string_literal: true

# zguide ch. 2, weather update proxy: bridges the weather server's PUB to subscribers on
# another network. An XSUB connects upstream, an XPUB binds downstream, and ZMQ.proxy
# moves updates down and subscriptions up.
#
#   ruby -Ilib examples/zguide/wuproxy.rb
#
# Connects to tcp://$ZMQ_HOST:$WU_PORT (the zguide's internal 192.168.55.210:5556) and
# binds tcp://*:$WU_PROXY_PORT (the zguide's external 8100). ZMQ.proxy only returns once
# the context is destroyed; a watcher thread reads the proxy's capture copies and does
# that once the upstream has fallen silent for $IDLE_MS (default 1000) after it spoke,
# or, status 1, when nothing at all came within $START_TIMEOUT_MS (default 15000).

require "rbczmq"

$stdout.sync = true

idle_ms = Integer(ENV.fetch("IDLE_MS", "1000"))
start_timeout_ms = Integer(ENV.fetch("START_TIMEOUT_MS", "15000"))

ctx = ZMQ::Context.new
frontend = ctx.socket(:XSUB)
frontend.connect("tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{ENV.fetch('WU_PORT', '5556')}")
backend = ctx.socket(:XPUB)
backend.bind("tcp://*:#{ENV.fetch('WU_PROXY_PORT', '8100')}")
capture = ctx.socket(:PUSH)
capture.bind("inproc://wuproxy-capture")

relayed = 0
watcher = Thread.new do
  copies = ctx.socket(:PULL)
  copies.connect("inproc://wuproxy-capture")
  copies.rcvtimeo = start_timeout_ms
  while (copy = copies.recv)
    # Subscriptions going upstream are copied too: they start with byte 0 or 1.
    relayed += 1 unless copy.start_with?("\x00".b, "\x01".b)
    copies.rcvtimeo = idle_ms if relayed.positive?
  end
  ctx.destroy
end

puts "wuproxy: relaying weather updates"
ZMQ.proxy(frontend, backend, capture)
watcher.join
puts "wuproxy: relayed #{relayed} updates"
exit(relayed.positive? ? 0 : 1)
