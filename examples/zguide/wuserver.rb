# frozen_string_literal: true

# zguide ch. 1, weather update server: PUBlishes "zipcode temperature humidity" updates
# as fast as it can, for random zip codes.
#
#   ruby -Ilib examples/zguide/wuserver.rb [SECONDS]
#
# Binds tcp://*:$WU_PORT (5556). Publishes for SECONDS seconds (default 5) rather than
# for ever. Zip codes are 0..99999 in the zguide, so a client waits for millions of
# updates before it has heard enough about one; $ZIPCODES (default 10) narrows the draw
# to 10000 ... 10000 + ZIPCODES - 1.

require "rbczmq"

$stdout.sync = true

seconds = Float(ARGV[0] || 5)
zipcodes = Integer(ENV.fetch("ZIPCODES", "10"))

ctx = ZMQ::Context.new
publisher = ctx.socket(:PUB)
publisher.bind("tcp://*:#{ENV.fetch('WU_PORT', '5556')}")

rng = Random.new
stop_at = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
published = 0
while Process.clock_gettime(Process::CLOCK_MONOTONIC) < stop_at
  zipcode = 10_000 + rng.rand(zipcodes)
  temperature = rng.rand(215) - 80
  relhumidity = rng.rand(50) + 10
  publisher.send(format("%05d %d %d", zipcode, temperature, relhumidity))
  published += 1
  sleep 0.0005 if (published % 50).zero? # leave the CPU to the subscribers now and then
end

puts "wuserver: published #{published} updates"
ctx.destroy
