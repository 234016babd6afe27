# frozen_string_literal: true

# zguide ch. 3, load-balancing broker as a reactor: the broker of lbbroker2.rb with no
# loop of its own. A ZMQ::Loop calls a handler when the backend or the frontend is
# readable; the backend handler registers the frontend with the loop when a worker
# becomes free and the frontend handler removes it again when none is left, both from
# inside their callbacks. The backend handler returns false once every client has its
# reply, which ends Loop#start.
#
#   ruby -Ilib examples/zguide/lbbroker3.rb [CLIENTS] [WORKERS]
#
# Same defaults and environment as lbbroker.rb; a one-shot ZMQ::Timer stops the loop
# after $DEADLINE_S (default 20) seconds, and then the exit status is 1.

require "tmpdir"
require_relative "zhelpers"

$stdout.sync = true

clients = Integer(ARGV[0] || 10)
workers = Integer(ARGV[1] || 3)
frontend_endpoint = ENV.fetch("LB_FRONTEND", "ipc://#{Dir.tmpdir}/lbbroker3-#{Process.pid}-frontend.ipc")
backend_endpoint = ENV.fetch("LB_BACKEND", "ipc://#{Dir.tmpdir}/lbbroker3-#{Process.pid}-backend.ipc")

# A handler whose on_readable runs a block, given the socket.
class BlockHandler < ZMQ::Handler
  def initialize(pollitem, &block)
    super
    @block = block
  end

  def on_readable
    @block.call(pollitem.pollable)
  end
end

ctx = ZMQ::Context.new
frontend = ctx.socket(:ROUTER)
frontend.bind(frontend_endpoint)
backend = ctx.socket(:ROUTER)
backend.bind(backend_endpoint)

client_threads = Array.new(clients) do
  Thread.new do
    client = ctx.socket(:REQ)
    client.random_identity!
    client.connect(frontend_endpoint)
    client.send_message(ZMQ::Message("HELLO"))
    reply = client.recv_message
    puts "Client: #{reply.last}"
    client.close
  end
end

worker_threads = Array.new(workers) do
  Thread.new do
    worker = ctx.socket(:REQ)
    worker.random_identity!
    worker.connect(backend_endpoint)
    worker.send_message(ZMQ::Message("READY"))
    served = 0
    begin
      while (request = worker.recv_message)
        puts "Worker: #{request.last}"
        request.last.reset("OK") # the envelope stays, the body becomes the reply
        worker.send_message(request)
        served += 1
      end
    rescue ZMQ::Error
      # ctx.destroy wakes a worker blocked in recv (which returns nil); one that has
      # just sent its reply and not yet called recv finds its socket gone instead.
      nil
    end
    served
  end
end

reactor = ZMQ::Loop.new
ready_workers = []
left = clients

frontend_item = ZMQ::Pollitem(frontend, ZMQ::POLLIN)
frontend_item.handler = BlockHandler.new(frontend_item) do |socket|
  message = socket.recv_message
  message.wrap(ready_workers.shift)
  backend.send_message(message)
  reactor.remove(frontend_item) if ready_workers.empty?
  true
end

backend_item = ZMQ::Pollitem(backend, ZMQ::POLLIN)
backend_item.handler = BlockHandler.new(backend_item) do |socket|
  message = socket.recv_message
  reactor.register(frontend_item) if ready_workers.empty?
  ready_workers << message.unwrap
  if message.first.data == "READY"
    message.destroy
  else
    frontend.send_message(message)
    left -= 1
  end
  left.positive? # false, once every client is served, ends the loop
end

reactor.register(backend_item)
reactor.register_timer(ZMQ::Timer.new(Float(ENV.fetch("DEADLINE_S", "20")), 1) { false })
reactor.start

if left.positive?
  warn "lbbroker3: deadline passed with #{left} clients still waiting"
  ctx.destroy
  exit 1
end

client_threads.each(&:join)
ctx.destroy
served = worker_threads.map(&:value)
puts "lbbroker3: #{clients} clients served by #{workers} workers (#{served.join(' + ')})"
