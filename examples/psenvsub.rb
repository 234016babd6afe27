# frozen_string_literal: true

# Pub-sub envelopes, subscriber: subscribes to key "B" and reads each two-frame message,
# checking rcvmore? between the key and the content.
#
#   ruby -Ilib examples/psenvsub.rb [MESSAGES]
#
# Connects to tcp://$ZMQ_HOST:$PSENV_PORT (default localhost:5563) and prints MESSAGES
# messages (default 5, or $PSENV_MESSAGES). Status 1 on a missing or malformed message
# ($TIMEOUT_MS, default 5000).

require "zmq"

$stdout.sync = true

messages = Integer(ARGV[0] || ENV.fetch("PSENV_MESSAGES", "5"))
endpoint = "tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{ENV.fetch('PSENV_PORT', '5563')}"

ctx = ZMQ::Context.new
subscriber = ctx.socket(:SUB)
subscriber.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "5000"))
subscriber.connect(endpoint)
subscriber.subscribe("B")

messages.times do
  address = subscriber.recv
  abort "psenvsub: no message before the timeout" unless address
  abort "psenvsub: envelope #{address.inspect} has no content frame" unless subscriber.rcvmore?

  contents = subscriber.recv
  abort "psenvsub: more than two frames" if subscriber.rcvmore?

  puts "[#{address}] #{contents}"
end

ctx.destroy
