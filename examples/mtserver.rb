# frozen_string_literal: true

# Multithreaded Hello World server. Clients (e.g. hwclient.rb) talk to a ROUTER on tcp;
# ZMQ.proxy passes their requests to a DEALER on inproc, which spreads them over worker
# threads, each with its own REP socket (a socket belongs to the thread that made it).
#
#   ruby -Ilib examples/mtserver.rb [REQUESTS]
#
# Binds tcp://*:$HW_PORT (default 5555), runs $WORKERS threads (default 5) and stops
# after REQUESTS replies (default 10, or $HW_REQUESTS): a watcher thread then destroys
# the context, which makes ZMQ.proxy return in the main thread and ends the workers'
# recv with nil. It gives up with status 1 after $IDLE_MS (default 10000) without work.

require "zmq"

$stdout.sync = true

requests = Integer(ARGV[0] || ENV.fetch("HW_REQUESTS", "10"))
workers = Integer(ENV.fetch("WORKERS", "5"))
idle = Integer(ENV.fetch("IDLE_MS", "10000")) / 1000.0

ctx = ZMQ::Context.new
clients = ctx.socket(:ROUTER)
clients.bind("tcp://*:#{ENV.fetch('HW_PORT', '5555')}")
backend = ctx.socket(:DEALER)
backend.bind("inproc://workers")

# replies sent so far, guarded by a mutex; the watcher waits on `progress`
served = 0
lock = Mutex.new
progress = ConditionVariable.new
threads = Array.new(workers) do |id|
  Thread.new do
    receiver = ctx.socket(:REP)
    receiver.connect("inproc://workers")
    # recv gives nil once the context is destroyed
    while (request = receiver.recv)
      puts "worker #{id}: received request [#{request}]"
      sleep 0.01 # "work"
      receiver.send("World")
      lock.synchronize do
        served += 1
        progress.signal
      end
    end
  rescue ZMQ::Error
    nil # the socket was closed under us by ctx.destroy
  end
end

outcome = nil
watcher = Thread.new do
  lock.synchronize do
    while served < requests
      before = served
      progress.wait(lock, idle)
      break if served == before # nothing happened for IDLE_MS
    end
    outcome = served
  end
  sleep 0.2 # let the proxy carry the last reply out to its client
  ctx.destroy
end

ZMQ.proxy(clients, backend) # returns when the context is destroyed
watcher.join
threads.each(&:join)
puts "mtserver: served #{outcome} requests with #{workers} workers"
exit(outcome == requests ? 0 : 1)
