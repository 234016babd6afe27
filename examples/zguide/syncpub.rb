# frozen_string_literal: true

# zguide ch. 2, node coordination, publisher side: waits until a known number of
# subscribers have checked in over REQ/REP, and only then publishes, so that no
# subscriber misses the start of the stream. "END" closes the stream.
#
#   ruby -Ilib examples/zguide/syncpub.rb [SUBSCRIBERS] [UPDATES]
#
# Binds tcp://*:$SYNC_PUB_PORT (5561) for the updates and tcp://*:$SYNC_REP_PORT (5562)
# for the check-ins. The zguide waits for 10 subscribers and sends a million updates;
# the defaults here are 3 and 100000. Status 1 if the subscribers do not all check in
# within $TIMEOUT_MS (default 10000).

require "rbczmq"

$stdout.sync = true

subscribers_expected = Integer(ARGV[0] || 3)
updates = Integer(ARGV[1] || 100_000)

ctx = ZMQ::Context.new
publisher = ctx.socket(:PUB)
# Every subscriber must see every update: queue them all rather than drop past the
# default high-water mark of 1000 (0 means no limit).
publisher.sndhwm = 0
publisher.bind("tcp://*:#{ENV.fetch('SYNC_PUB_PORT', '5561')}")
syncservice = ctx.socket(:REP)
syncservice.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "10000"))
syncservice.bind("tcp://*:#{ENV.fetch('SYNC_REP_PORT', '5562')}")

puts "Waiting for subscribers"
subscribers_expected.times do |nbr|
  abort "syncpub: only #{nbr} of #{subscribers_expected} subscribers checked in" if syncservice.recv.nil?

  syncservice.send("")
end

puts "Broadcasting messages"
updates.times { publisher.send("Rhubarb") }
publisher.send("END")
puts "syncpub: sent #{updates} updates to #{subscribers_expected} subscribers"

ctx.linger = 5000 # the queued updates still have to reach the subscribers
ctx.destroy
