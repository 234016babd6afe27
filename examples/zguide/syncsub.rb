# frozen_string_literal: true

# zguide ch. 2, node coordination, subscriber side: subscribes, checks in with the
# publisher over REQ/REP, then counts updates until "END".
#
#   ruby -Ilib examples/zguide/syncsub.rb
#
# Connects to tcp://$ZMQ_HOST:$SYNC_PUB_PORT (localhost:5561) and $SYNC_REP_PORT (5562).
# A subscription travels to the publisher on its own, after the connection is made, so
# like the zguide it pauses ($SETTLE_MS, default 500) before checking in. Status 1 when
# an update or the check-in answer takes more than $TIMEOUT_MS (default 10000).

require "rbczmq"

$stdout.sync = true

host = ENV.fetch("ZMQ_HOST", "localhost")
timeout = Integer(ENV.fetch("TIMEOUT_MS", "10000"))

ctx = ZMQ::Context.new
subscriber = ctx.socket(:SUB)
subscriber.rcvhwm = 0 # keep every update, however far behind we fall
subscriber.rcvtimeo = timeout
subscriber.connect("tcp://#{host}:#{ENV.fetch('SYNC_PUB_PORT', '5561')}")
subscriber.subscribe("")

sleep Integer(ENV.fetch("SETTLE_MS", "500")) / 1000.0

syncclient = ctx.socket(:REQ)
syncclient.rcvtimeo = timeout
syncclient.connect("tcp://#{host}:#{ENV.fetch('SYNC_REP_PORT', '5562')}")
syncclient.send("")
abort "syncsub: the publisher did not answer the check-in" if syncclient.recv.nil?

update_nbr = 0
loop do
  update = subscriber.recv
  abort "syncsub: stream stopped after #{update_nbr} updates" if update.nil?
  break if update == "END"

  update_nbr += 1
end

puts "Received #{update_nbr} updates"
ctx.destroy
