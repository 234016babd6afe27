# frozen_string_literal: true

# zguide ch. 3, identities: a ROUTER socket shows the envelope each REQ peer's message
# arrives in. An anonymous REQ gets an identity the ROUTER makes up (5 bytes, the first
# one zero, printed in hex); a REQ that sets its identity first is seen under that name.
#
#   ruby -Ilib examples/zguide/identity.rb
#
# Everything runs over inproc in one process. Message dumps go to stderr.

require_relative "zhelpers"

$stdout.sync = true

ctx = ZMQ::Context.new
sink = ctx.socket(:ROUTER)
sink.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "5000"))
sink.bind("inproc://example")

# First let the ROUTER choose the identity.
anonymous = ctx.socket(:REQ)
anonymous.connect("inproc://example")
anonymous.send("ROUTER uses a generated 5 byte identity")
abort "identity: nothing from the anonymous peer" unless sink.dump

# Then set the identity ourselves.
identified = ctx.socket(:REQ)
identified.identity = "PEER2"
identified.connect("inproc://example")
identified.send("ROUTER socket uses REQ's socket identity")
message = sink.dump
abort "identity: nothing from PEER2" unless message
abort "identity: PEER2 arrived as #{message.first.data.inspect}" unless message.first.data == "PEER2"

puts "identity: both envelopes shown"
ctx.destroy
