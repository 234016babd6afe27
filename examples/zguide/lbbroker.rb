# frozen_string_literal: true

# zguide ch. 3, load-balancing broker: clients (REQ) talk to a ROUTER frontend, workers
# (REQ) to a ROUTER backend. A worker says "READY" when it starts and each reply doubles
# as its next "ready"; the broker queues ready workers and gives each request to the one
# that has waited longest. It only listens to the frontend while a worker is free: the
# frontend's pollitem is registered with the ZMQ::Poller then and removed when the queue
# runs dry.
#
#   ruby -Ilib examples/zguide/lbbroker.rb [CLIENTS] [WORKERS]
#
# CLIENTS (default 10) and WORKERS (default 3) are threads of this process, each making
# its sockets from the shared context. The broker binds $LB_FRONTEND and $LB_BACKEND
# (default ipc:// endpoints in the temporary directory) and stops once every client has
# its reply; then destroying the context wakes the workers, blocked in recv, to exit.
# A poll that waits more than $IDLE_S (default 10) seconds ends it with status 1.

require "tmpdir"
require_relative "zhelpers"

$stdout.sync = true

clients = Integer(ARGV[0] || 10)
workers = Integer(ARGV[1] || 3)
idle = Float(ENV.fetch("IDLE_S", "10"))
frontend_endpoint = ENV.fetch("LB_FRONTEND", "ipc://#{Dir.tmpdir}/lbbroker-#{Process.pid}-frontend.ipc")
backend_endpoint = ENV.fetch("LB_BACKEND", "ipc://#{Dir.tmpdir}/lbbroker-#{Process.pid}-backend.ipc")

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
    client.send("HELLO")
    reply = client.recv
    puts "Client: #{reply}"
    client.close
  end
end

worker_threads = Array.new(workers) do
  Thread.new do
    worker = ctx.socket(:REQ)
    worker.random_identity!
    worker.connect(backend_endpoint)
    worker.send("READY")
    served = 0
    begin
      # Each request arrives as [client identity]["" delimiter][body]; the REQ socket has
      # already taken off the envelope the backend ROUTER addressed it with. recv returns
      # nil once the context is destroyed.
      while (client_id = worker.recv)
        worker.recv # the delimiter
        request = worker.recv
        puts "Worker: #{request}"
        # A REQ socket refuses sendm (it sends one-part requests), so a reply that carries
        # the client's envelope goes out as a Message.
        reply = ZMQ::Message.new
        reply.addstr(client_id)
        reply.addstr("")
        reply.addstr("OK")
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
poller.register(ZMQ::Pollitem.new(backend, ZMQ::POLLIN))
frontend_item = ZMQ::Pollitem.new(frontend, ZMQ::POLLIN)

ready_workers = []
left = clients
while left.positive?
  if poller.poll(idle).zero?
    warn "lbbroker: idle for #{idle} s with #{left} clients still waiting"
    ctx.destroy
    exit 1
  end

  if poller.readables.include?(backend)
    # [worker identity][""][READY] or [worker identity][""][client identity][""][reply]
    worker_id = backend.recv
    backend.recv
    client_id = backend.recv
    poller.register(frontend_item) if ready_workers.empty?
    ready_workers << worker_id
    unless client_id == "READY"
      backend.recv
      reply = backend.recv
      frontend.sendm(client_id)
      frontend.sendm("")
      frontend.send(reply)
      left -= 1
    end
  end

  next unless poller.readables.include?(frontend)

  # [client identity][""][request] goes to the longest-waiting worker.
  client_id = frontend.recv
  frontend.recv
  request = frontend.recv
  backend.sendm(ready_workers.shift)
  backend.sendm("")
  backend.sendm(client_id)
  backend.sendm("")
  backend.send(request)
  poller.remove(frontend_item) if ready_workers.empty?
end

client_threads.each(&:join)
ctx.destroy
served = worker_threads.map(&:value)
puts "lbbroker: #{clients} clients served by #{workers} workers (#{served.join(' + ')})"
