# frozen_string_literal: true

# zguide ch. 2, multithreaded relay: three threads signal each other in turn over PAIR
# sockets on inproc endpoints. Step 1 tells step 2 it is ready, step 2 tells step 3
# (the main thread), and the main thread reports success.
#
#   ruby -Ilib examples/zguide/mtrelay.rb
#
# Each wait is bounded by $TIMEOUT_MS (default 5000); a missing signal is status 1.

require "rbczmq"

$stdout.sync = true

timeout = Integer(ENV.fetch("TIMEOUT_MS", "5000"))

ctx = ZMQ::Context.new

step1 = lambda do
  xmitter = ctx.socket(:PAIR)
  xmitter.connect("inproc://step2")
  puts "Step 1 ready, signaling step 2"
  xmitter.send("READY")
  xmitter.close
end

step2 = lambda do
  receiver = ctx.socket(:PAIR)
  receiver.rcvtimeo = timeout
  receiver.bind("inproc://step2")
  first = Thread.new(&step1)
  signal = receiver.recv
  first.join
  receiver.close
  raise "step 2: no signal from step 1" unless signal == "READY"

  xmitter = ctx.socket(:PAIR)
  xmitter.connect("inproc://step3")
  puts "Step 2 ready, signaling step 3"
  xmitter.send("READY")
  xmitter.close
end

# The main thread is step 3: it binds before it starts step 2, since step 2 connects to
# it (inproc allows either order, but the zguide binds first).
receiver = ctx.socket(:PAIR)
receiver.rcvtimeo = timeout
receiver.bind("inproc://step3")
second = Thread.new(&step2)
signal = receiver.recv
second.join
abort "mtrelay: no signal from step 2" unless signal == "READY"

puts "Test successful!"
ctx.destroy
