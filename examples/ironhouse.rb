# frozen_string_literal: true

# Ironhouse: CURVE encryption with client authentication (the zguide's "Ironhouse"
# pattern, as czmq's and pyzmq's examples show it). The server knows which clients may
# connect by their public certificates in a directory, and only from allowed addresses;
# the client knows the server's public key. Everything on the wire is encrypted.
#
#   ruby -Ilib examples/ironhouse.rb
#
# One process: certificates are made in a temporary directory (as a real deployment
# would have them on disk), the authenticator, the server and the clients run in one
# context (rbczmq allows one per process), the server on its own thread. A client whose
# certificate is not in the directory is refused: nothing it sends is delivered. Binds
# tcp://127.0.0.1:$IRONHOUSE_PORT (default: any free port). Exits 0 when all went as
# expected.

require "zmq"
require "tmpdir"

$stdout.sync = true

MESSAGES = 3
failures = []

Dir.mktmpdir("ironhouse-") do |dir|
  # Certificates: the server's and a client's key pairs. The server's secret file and the
  # client's stay with their owners; the client's public certificate goes to the
  # directory of allowed clients.
  allowed = File.join(dir, "allowed_clients")
  Dir.mkdir(allowed)
  server_cert = ZMQ::Cert.generate(name: "ironhouse server")
  server_cert.save(File.join(dir, "server.key"))
  client_cert = ZMQ::Cert.generate(name: "ironhouse client")
  client_cert.save(File.join(dir, "client.key"))
  client_cert.save_public(File.join(allowed, "client.key"))
  puts "certificates in #{dir}: server #{server_cert.public_key}, client #{client_cert.public_key}"

  ctx = ZMQ::Context.new
  auth = ZMQ::Auth.new(ctx)
  auth.allow("127.0.0.1")
  auth.configure_curve("*", allowed)

  # The server: a CURVE server with its secret certificate, loaded from disk.
  server = ctx.socket(:PUSH)
  server.curve_server = true
  ZMQ::Cert.load(File.join(dir, "server.key")).apply(server)
  port = server.bind("tcp://127.0.0.1:#{ENV.fetch('IRONHOUSE_PORT', '*')}")
  endpoint = "tcp://127.0.0.1:#{port}"
  puts "server: CURVE server on #{endpoint}"

  # Handshake outcomes, from the server socket's monitor (libzmq's event numbers).
  refused = Queue.new
  events = ctx.socket(:PAIR)
  server.__monitor("inproc://ironhouse-events", ZMQ::EVENT_HANDSHAKE_FAILED_AUTH)
  events.connect("inproc://ironhouse-events")
  watcher = Thread.new do
    events.rcvtimeo = 3000
    head = events.recv
    refused << head.unpack("vV") if head
  end

  # An intruder with a fresh certificate that is not in the allowed directory.
  intruder = ctx.socket(:PULL)
  ZMQ::Cert.new.apply(intruder)
  intruder.curve_serverkey = server_cert.public_key
  intruder.rcvtimeo = 500
  intruder.connect(endpoint)

  event, status = watcher.value && refused.pop
  if event == ZMQ::EVENT_HANDSHAKE_FAILED_AUTH
    puts "server: refused a client with an unknown key (ZAP status #{status})"
  else
    failures << "no refusal reported for the intruder"
  end

  # The real client: its own certificate from disk, and the server's public key.
  client = ctx.socket(:PULL)
  ZMQ::Cert.load(File.join(dir, "client.key")).apply(client)
  client.curve_serverkey = ZMQ::Cert.load(File.join(dir, "server.key")).public_key
  client.rcvtimeo = 5000
  client.connect(endpoint)

  sender = Thread.new do
    MESSAGES.times { |i| server.send("Ironhouse message #{i + 1}") }
  end
  MESSAGES.times do
    message = client.recv
    if message
      puts "client: received [#{message}]"
    else
      failures << "the allowed client received nothing"
      break
    end
  end
  sender.join

  leaked = intruder.recv
  failures << "the intruder received #{leaked.inspect}" if leaked
  puts "intruder: received nothing" unless leaked

  auth.stop
  ctx.destroy
end

if failures.empty?
  puts "ironhouse: all good"
else
  failures.each { |f| puts "FAIL: #{f}" }
  exit 1
end
