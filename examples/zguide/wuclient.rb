# frozen_string_literal: true

# zguide ch. 1, weather update client: SUBscribes to one zip code and prints the average
# temperature over a number of updates.
#
#   ruby -Ilib examples/zguide/wuclient.rb [ZIPCODE] [UPDATES]
#
# Connects to tcp://$ZMQ_HOST:$WU_PORT (localhost:5556). ZIPCODE defaults to 10001 and
# UPDATES to 20 (the zguide collects 100). Status 1 when updates stop coming for
# $TIMEOUT_MS (5000).

require "rbczmq"

$stdout.sync = true

filter = ARGV[0] || "10001"
updates = Integer(ARGV[1] || 20)
endpoint = "tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{ENV.fetch('WU_PORT', '5556')}"

ctx = ZMQ::Context.new
subscriber = ctx.socket(:SUB)
subscriber.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "5000"))
puts "Collecting updates from weather server..."
subscriber.connect(endpoint)
# A subscription is a prefix: "10001 " (with the space) leaves out "100010".
subscriber.subscribe("#{filter} ")

total_temp = 0
updates.times do |nbr|
  update = subscriber.recv
  abort "wuclient: got #{nbr} of #{updates} updates before the timeout" if update.nil?

  zipcode, temperature, _relhumidity = update.split
  abort "wuclient: update for #{zipcode} slipped through the filter" unless zipcode == filter
  total_temp += Integer(temperature, 10)
end

puts "Average temperature for zipcode '#{filter}' was #{total_temp / updates}F"
ctx.destroy
