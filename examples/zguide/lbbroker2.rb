# frozen_string_literal: true

# zguide ch. 3, load-balancing broker with the high-level message API: the same broker
# as lbbroker.rb, but every hop moves a whole ZMQ::Message. The backend takes the
# worker's address off the front with Message#unwrap, the frontend's request goes out
# behind it again with Message#wrap, and the workers and clients build and take apart
# their messages with pop/add/addstr/last.
#
#   ruby -Ilib examples/zguide/lbbroker2.rb [CLIENTS] [WORKERS]
#
# Same defaults and environment as lbbroker.rb ($LB_FRONTEND, $LB_BACKEND, $IDLE_S).

require "tmpdir"
require_relative "zhelpers"

$stdout.sync = true

clients = Integer(ARGV[0] || 10)
workers = Integer(ARGV[1] || 3)
idle = Float(ENV.fetch("IDLE_S", "10"))
frontend_endpoint = ENV.fetch("LB_FRONTEND", "ipc://#{Dir.tmpdir}/lbbroker2-#{Process.pid}-frontend.ipc")
backend_endpoint = ENV.fetch("LB_BACKEND", "ipc://#{Dir.tmpdir}/lbbroker2-#{Process.pid}-backend.ipc")

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
    request = ZMQ::Message.new
    request.addstr("HELLO")
    client.send_message(request)
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
        # [client identity][""][body]: keep the envelope, answer with a new body.
        client_id = request.pop
        delimiter = request.pop
        reply = ZMQ::Message.new
        reply.add(client_id)
        reply.add(delimiter)
        reply.addstr("OK")
        request.destroy
        worker.send_message(reply)
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

poller = ZMQ::Poller.new
backend_item = poller.register_readable(backend)
frontend_item = ZMQ::Pollitem.new(frontend, ZMQ::POLLIN)

ready_workers = [] # the worker identity frames, longest-waiting first
left = clients
while left.positive?
  if poller.poll(idle).zero?
    warn "lbbroker2: idle for #{idle} s with #{left} clients still waiting"
    ctx.destroy
    exit 1
  end

  if poller.readables.include?(backend_item.pollable)
    message = backend.recv_message
    poller.register(frontend_item) if ready_workers.empty?
    ready_workers << message.unwrap # the worker's identity; the delimiter goes too
    if message.first.data == "READY"
      message.destroy
    else
      frontend.send_message(message) # [client identity][""][reply]
      left -= 1
    end
  end

  next unless poller.readables.include?(frontend)

  message = frontend.recv_message
  message.wrap(ready_workers.shift) # [worker identity][""][client identity][""][request]
  backend.send_message(message)
  poller.remove(frontend_item) if ready_workers.empty?
end

client_threads.each(&:join)
ctx.destroy
served = worker_threads.map(&:value)
puts "lbbroker2: #{clients} clients served by #{workers} workers (#{served.join(' + ')})"
