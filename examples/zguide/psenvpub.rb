# frozen_string_literal: true

# zguide ch. 2, pub-sub message envelopes, publisher: each update is two frames, a key
# (the envelope, sent with sendm) and the content. Subscribers filter on the key alone.
#
#   ruby -Ilib examples/zguide/psenvpub.rb [ROUNDS]
#
# Binds tcp://*:$PSENV_PORT (5563). Every $INTERVAL_MS (default 100; the zguide waits a
# second) it publishes an "A" update and a "B" update; it stops after ROUNDS rounds
# (default 30) rather than running for ever.

require "rbczmq"

$stdout.sync = true

rounds = Integer(ARGV[0] || 30)
interval = Integer(ENV.fetch("INTERVAL_MS", "100")) / 1000.0

ctx = ZMQ::Context.new
publisher = ctx.socket(:PUB)
publisher.bind("tcp://*:#{ENV.fetch('PSENV_PORT', '5563')}")

rounds.times do
  publisher.sendm("A")
  publisher.send("We don't want to see this")
  publisher.sendm("B")
  publisher.send("We would like to see this")
  sleep interval
end

puts "psenvpub: published #{rounds} rounds"
ctx.destroy
