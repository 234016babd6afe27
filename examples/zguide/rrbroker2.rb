# frozen_string_literal: true

# The request-reply broker of rrbroker.rb driven by the reactor instead: ZL.run with one
# ZMQ::Handler subclass per side, registered through ZL.register_readable with the other
# side's socket as an extra argument. Each handler moves whole messages with
# recv_message/send_message.
#
#   ruby -Ilib examples/zguide/rrbroker2.rb [REPLIES]
#
# Same endpoints as rrbroker.rb ($RR_FRONTEND_PORT 5559, $RR_BACKEND_PORT 5560). The
# backend handler returns false, which stops the loop, after REPLIES replies (default
# 10); a periodic timer stops it, status 1, when nothing moved for $IDLE_S (default 10).

require "rbczmq"

$stdout.sync = true

replies_wanted = Integer(ARGV[0] || 10)
idle = Float(ENV.fetch("IDLE_S", "10"))

# Relays every message read on its pollitem to `peer`. Activity is recorded for the idle
# check.
class RelayHandler < ZMQ::Handler
  attr_reader :last_activity

  def initialize(pollitem, peer)
    super
    @peer = peer
    @last_activity = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  def on_readable
    @peer.send_message(pollitem.pollable.recv_message)
    @last_activity = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    nil
  end
end

# Relays replies back to the clients and stops the loop (by returning false) once it has
# relayed `wanted` of them.
class ReplyHandler < RelayHandler
  attr_reader :relayed

  def initialize(pollitem, peer, wanted)
    super(pollitem, peer)
    @wanted = wanted
    @relayed = 0
  end

  def on_readable
    super
    @relayed += 1
    @relayed < @wanted
  end
end

ctx = ZMQ::Context.new
frontend = ctx.socket(:ROUTER)
frontend.bind("tcp://*:#{ENV.fetch('RR_FRONTEND_PORT', '5559')}")
backend = ctx.socket(:DEALER)
backend.bind("tcp://*:#{ENV.fetch('RR_BACKEND_PORT', '5560')}")

requests = replies = nil
idle_out = false
ZL.run do
  requests = ZL.register_readable(frontend, RelayHandler, backend).handler
  replies = ZL.register_readable(backend, ReplyHandler, frontend, replies_wanted).handler
  ZL.add_periodic_timer(0.25) do
    now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    idle_out = now - [requests.last_activity, replies.last_activity].max > idle
    !idle_out # false stops the loop
  end
end

if idle_out
  warn "rrbroker2: idle for #{idle} s after #{replies.relayed} replies"
  ctx.destroy
  exit 1
end
puts "rrbroker2: relayed #{replies.relayed} replies"
ctx.linger = 500
ctx.destroy
