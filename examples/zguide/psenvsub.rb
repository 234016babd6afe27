# frozen_string_literal: true

# zguide ch. 2, pub-sub message envelopes, subscriber: subscribes to key "B" and reads
# each update as its two frames, key then content.
#
#   ruby -Ilib examples/zguide/psenvsub.rb [UPDATES]
#
# Connects to tcp://$ZMQ_HOST:$PSENV_PORT (localhost:5563) and prints UPDATES updates
# (default 5). Status 1 when an update takes more than $TIMEOUT_MS (default 5000).

require "rbczmq"

$stdout.sync = true

updates = Integer(ARGV[0] || 5)

ctx = ZMQ::Context.new
subscriber = ctx.socket(:SUB)
subscriber.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "5000"))
subscriber.connect("tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{ENV.fetch('PSENV_PORT', '5563')}")
subscriber.subscribe("B")

updates.times do
  address = subscriber.recv
  abort "psenvsub: no update before the timeout" if address.nil?
  abort "psenvsub: key #{address.inspect} came without content" unless subscriber.rcvmore?

  contents = subscriber.recv
  puts "[#{address}] #{contents}"
end

ctx.destroy
