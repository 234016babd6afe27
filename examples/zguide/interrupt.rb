# frozen_string_literal: true

# zguide ch. 2, handling Ctrl-C: a REP server blocked in recv. Ctrl-C (SIGINT) makes the
# blocking recv return and Ruby raise Interrupt, which the server rescues to shut down
# cleanly: it says so, destroys the context and exits with status 0.
#
#   ruby -Ilib examples/zguide/interrupt.rb
#
# Binds tcp://*:$HW_PORT (5555) and answers "World" to whatever comes. So that it never
# runs for ever unattended, it gives up, status 1, after $IDLE_MS (default 60000)
# without a request or a Ctrl-C.

require "rbczmq"

$stdout.sync = true

ctx = ZMQ::Context.new
server = ctx.socket(:REP)
server.rcvtimeo = Integer(ENV.fetch("IDLE_MS", "60000"))
server.bind("tcp://*:#{ENV.fetch('HW_PORT', '5555')}")
puts "interrupt: waiting for requests, Ctrl-C to stop"

begin
  loop do
    request = server.recv
    if request.nil?
      warn "interrupt: no request and no Ctrl-C for #{server.rcvtimeo} ms"
      ctx.destroy
      exit 1
    end
    puts "Received request: #{request}"
    server.send("World")
  end
rescue Interrupt
  puts "W: interrupt received, killing server..."
end

ctx.destroy
puts "interrupt: context destroyed, bye"
