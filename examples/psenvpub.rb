# frozen_string_literal: true

# Pub-sub envelopes, publisher: each message has two frames, a key (the envelope) sent
# with sendm, then the content. Subscribers filter on the key frame alone.
#
#   ruby -Ilib examples/psenvpub.rb [ROUNDS]
#
# Binds tcp://*:$PSENV_PORT (default 5563) and publishes ROUNDS rounds (default 50, or
# $PSENV_ROUNDS) of one "A" and one "B" message, $PSENV_INTERVAL_MS apart (default 100).

require "zmq"

$stdout.sync = true

rounds = Integer(ARGV[0] || ENV.fetch("PSENV_ROUNDS", "50"))
interval = Integer(ENV.fetch("PSENV_INTERVAL_MS", "100")) / 1000.0

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
