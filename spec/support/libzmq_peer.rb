# frozen_string_literal: true

# A libzmq peer for spec/interop_spec.rb: one socket of Debian's ffi-rzmq (libzmq 4.3)
# in its own process. Never load this file into the spec process: ffi-rzmq defines ZMQ
# too. Run it as
#
#   ruby spec/support/libzmq_peer.rb ROLE TYPE bind|connect ENDPOINT COUNT [NAME=VALUE...]
#
#   ROLE      send:    send every message given on stdin (then linger until they are out)
#             recv:    receive COUNT messages
#             echo:    receive COUNT messages, sending each straight back (REP, ROUTER)
#             request: for each message given, send it and receive the reply (REQ, DEALER)
#   TYPE      REQ REP PUB SUB PUSH PULL ROUTER DEALER
#   ENDPOINT  what to bind or connect; bind "tcp://127.0.0.1:*" for a free port
#   COUNT     how many messages recv/echo receive
#   options   identity=HEX    the socket's identity (ZMQ_IDENTITY), any bytes
#             subscribe=HEX   a SUB subscription (repeatable)
#             sync=HEX        the slow-joiner handshake topic (one-frame message): a PUB
#                             sender publishes it every 10 ms until stdin says "GO"; a SUB
#                             receiver prints "SYNCED" at the first copy and skips them all
#             heartbeat=MS    ZMTP heartbeats: a PING every MS, the connection dropped
#                             when nothing comes back within 3 * MS
#             timeout=SECONDS every wait's bound (default 10)
#
# Messages travel as text lines: each part strict base64, parts joined by "," (so an
# empty line is a message of one empty part).
# stdin:  the messages to send, one a line, then "END" (later, "GO" for the sync above).
# stdout: "READY <endpoint>" once bound or connected (the real port for tcp://...:*),
#         "MSG <parts>" for every message received, "DONE" at the end.
# Exit status: 0 done; 2 a send or receive timed out; 3 a libzmq call failed; 4 the
# process outlived its whole-run deadline (a watchdog, in case libzmq itself hangs).
require "ffi-rzmq"

module LibzmqPeer
  module_function

  def encode(parts)
    parts.map { |part| [part].pack("m0") }.join(",")
  end

  def decode(line)
    return [""] if line.empty? # a message has at least one part: this is one empty part

    line.split(",", -1).map { |part| part.unpack1("m0") }
  end

  def fail!(status, what)
    warn "libzmq peer: #{what}: #{ZMQ::Util.error_string} (errno #{ZMQ::Util.errno})"
    exit!(status)
  end

  def check(rc, what)
    return if ZMQ::Util.resultcode_ok?(rc)

    return fail!(2, "#{what} timed out") if ZMQ::Util.errno == ZMQ::EAGAIN

    fail!(3, what)
  end

  def run(argv)
    role, type, mode, endpoint, count, *opts = argv
    count = Integer(count || 0)
    options = Hash.new { |h, k| h[k] = [] }
    opts.each do |opt|
      name, value = opt.split("=", 2)
      options[name] << value
    end
    timeout = Float(options["timeout"].last || 10)
    sync = options["sync"].last&.then { |hex| [hex].pack("H*") }
    $stdout.sync = true
    $stdout.binmode

    Thread.new do
      sleep(timeout + 2)
      warn "libzmq peer: still running after #{timeout + 2}s"
      exit!(4)
    end

    messages = []
    while (line = $stdin.gets&.chomp) && line != "END"
      messages << decode(line)
    end

    ctx = ZMQ::Context.new
    sock = ctx.socket(ZMQ.const_get(type))
    fail!(3, "socket #{type}") unless sock
    ms = (timeout * 1000).to_i
    check(sock.setsockopt(ZMQ::RCVTIMEO, ms), "RCVTIMEO")
    check(sock.setsockopt(ZMQ::SNDTIMEO, ms), "SNDTIMEO")
    check(sock.setsockopt(ZMQ::LINGER, ms), "LINGER")
    options["identity"].each do |hex|
      id = [hex].pack("H*")
      check(sock.setsockopt(ZMQ::IDENTITY, id, id.bytesize), "IDENTITY")
    end
    options["heartbeat"].each do |ms|
      [[ZMQ::HEARTBEAT_IVL, Integer(ms)], [ZMQ::HEARTBEAT_TIMEOUT, 3 * Integer(ms)]].each do |name, value|
        int = FFI::MemoryPointer.new(:int).tap { |ptr| ptr.write_int(value) }
        check(LibZMQ.zmq_setsockopt(sock.socket, name, int, int.size), "heartbeat option #{name}")
      end
    end
    options["subscribe"].each do |hex|
      topic = [hex].pack("H*")
      check(sock.setsockopt(ZMQ::SUBSCRIBE, topic, topic.bytesize), "SUBSCRIBE")
    end

    case mode
    when "bind"
      check(sock.bind(endpoint), "bind #{endpoint}")
      real = []
      check(sock.getsockopt(ZMQ::LAST_ENDPOINT, real), "LAST_ENDPOINT")
      endpoint = real.first.delete("\0")
    when "connect"
      check(sock.connect(endpoint), "connect #{endpoint}")
    else
      abort "libzmq peer: bind or connect, not #{mode.inspect}"
    end
    puts "READY #{endpoint}"

    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    receive = lambda do
      parts = []
      check(sock.recv_strings(parts), "receive")
      parts
    end

    case role
    when "send"
      if sync
        # Publish the sync topic until the other side has seen it and says GO.
        loop do
          if IO.select([$stdin], nil, nil, 0.01)
            line = $stdin.gets
            break if line&.chomp == "GO"

            fail!(2, "stdin closed before GO") unless line
          end
          fail!(2, "no GO in #{timeout}s") if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
          check(sock.send_string(sync), "send sync")
        end
      end
      messages.each { |parts| check(sock.send_strings(parts), "send") }
    when "recv"
      synced = false
      received = 0
      while received < count
        parts = receive.call
        if sync && parts == [sync]
          puts "SYNCED" unless synced
          synced = true
          next
        end
        puts "MSG #{encode(parts)}"
        received += 1
      end
    when "echo"
      count.times do
        parts = receive.call
        puts "MSG #{encode(parts)}"
        check(sock.send_strings(parts), "send reply")
      end
    when "request"
      messages.each do |parts|
        check(sock.send_strings(parts), "send request")
        puts "MSG #{encode(receive.call)}"
      end
    else
      abort "libzmq peer: unknown role #{role.inspect}"
    end

    sock.close # lingers (up to the timeout) until what was sent is out
    ctx.terminate
    puts "DONE"
  end
end

LibzmqPeer.run(ARGV)
