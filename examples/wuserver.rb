# frozen_string_literal: true

# Weather update server: PUBlishes "ZIP TEMPERATURE HUMIDITY" lines for random zip codes.
#
#   ruby -Ilib examples/wuserver.rb [SECONDS]
#
# Binds tcp://*:$WU_PORT (default 5556) and publishes for SECONDS seconds (default 10, or
# $WU_SECONDS). Zip codes are drawn from 10000..10009 (the zguide uses 0..99999, which
# takes millions of updates before a client sees enough of one zip code).

require "zmq"

$stdout.sync = true

seconds = Float(ARGV[0] || ENV.fetch("WU_SECONDS", "10"))

ctx = ZMQ::Context.new
publisher = ctx.socket(:PUB)
publisher.sndhwm = 10_000
publisher.bind("tcp://*:#{ENV.fetch('WU_PORT', '5556')}")

random = Random.new
deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
sent = 0
while Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
  zipcode = random.rand(10_000..10_009)
  temperature = random.rand(-80..134)
  relhumidity = random.rand(10..59)
  publisher.send(format("%05d %d %d", zipcode, temperature, relhumidity))
  sent += 1
  sleep 0.001 if (sent % 20).zero? # pace it a little; subscribers drop past the HWM anyway
end

puts "wuserver: published #{sent} updates"
ctx.destroy
