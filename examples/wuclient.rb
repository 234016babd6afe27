# frozen_string_literal: true

# Weather update client: SUBscribes to one zip code and averages its temperature.
#
#   ruby -Ilib examples/wuclient.rb [ZIPCODE] [UPDATES]
#
# Connects to tcp://$ZMQ_HOST:$WU_PORT (default localhost:5556), subscribes to ZIPCODE
# (default 10001) and averages UPDATES updates (default 20, or $WU_UPDATES). Status 1 if
# no update comes for $TIMEOUT_MS (default 5000).

require "zmq"

$stdout.sync = true

zipcode = ARGV[0] || "10001"
updates = Integer(ARGV[1] || ENV.fetch("WU_UPDATES", "20"))
endpoint = "tcp://#{ENV.fetch('ZMQ_HOST', 'localhost')}:#{ENV.fetch('WU_PORT', '5556')}"

ctx = ZMQ::Context.new
subscriber = ctx.socket(:SUB)
subscriber.rcvhwm = 10_000 # queue this many updates before dropping
subscriber.rcvtimeo = Integer(ENV.fetch("TIMEOUT_MS", "5000"))
subscriber.connect(endpoint)
# The filter is a prefix; the trailing space keeps "10001" from matching "100012".
subscriber.subscribe("#{zipcode} ")
puts "Collecting updates from weather server at #{endpoint}..."

total_temp = 0
updates.times do |n|
  update = subscriber.recv
  unless update
    warn "wuclient: only #{n} updates for #{zipcode} before the timeout"
    ctx.destroy
    exit 1
  end
  zip, temperature, _relhumidity = update.split.map { |field| Integer(field, 10) }
  raise "wuclient: got an update for #{zip}, not #{zipcode}" unless zip == Integer(zipcode, 10)

  total_temp += temperature
end

puts "Average temperature for zipcode '#{zipcode}' was #{(total_temp.to_f / updates).round(1)}F"
ctx.destroy
