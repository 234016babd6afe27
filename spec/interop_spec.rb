# frozen_string_literal: true

require "digest"
require "rbconfig"
require "tmpdir"
require_relative "support/zmq_helpers"

# A libzmq peer process (spec/support/libzmq_peer.rb, ffi-rzmq on the system libzmq): the
# spec talks to it through its stdin (messages to send, "GO") and stdout ("READY", one
# "MSG" line per message received, "DONE"). ffi-rzmq defines ZMQ too, so it only ever runs
# in the child: plain `ruby` without -Ilib, RUBYLIB and RUBYOPT cleared.
class LibzmqPeerProcess
  SCRIPT = File.expand_path("support/libzmq_peer.rb", __dir__)

  # Raised when the peer misbehaves; the message carries its exit status and stderr.
  class Failure < StandardError; end

  def self.encode(parts)
    parts.map { |part| [part].pack("m0") }.join(",")
  end

  def self.decode(line)
    return [""] if line.empty? # a message has at least one part: this is one empty part

    line.split(",", -1).map { |part| part.unpack1("m0") }
  end

  # Is ffi-rzmq (with libzmq 4) usable from a plain child `ruby`?
  def self.available?
    return @available if defined?(@available)

    @available = system({ "RUBYLIB" => nil, "RUBYOPT" => nil }, RbConfig.ruby, "-e",
                        "require 'ffi-rzmq'; exit(LibZMQ.version[:major] >= 4)",
                        in: File::NULL, out: File::NULL, err: File::NULL)
  end

  attr_reader :endpoint, :pid

  # role/type/mode/endpoint/count as libzmq_peer.rb takes them; `messages` go to its stdin;
  # identity:, subscribe:, sync: are byte strings (passed as hex), heartbeat: an Integer.
  def initialize(role, type, mode, endpoint, count: 0, messages: [], timeout: 10, **opts)
    args = [role, type.to_s, mode, endpoint, count.to_s, "timeout=#{timeout}"]
    opts.each do |name, value|
      Array(value).each { |v| args << "#{name}=#{v.is_a?(String) ? v.unpack1('H*') : Integer(v)}" }
    end
    in_r, @stdin = IO.pipe
    out_r, out_w = IO.pipe
    err_r, err_w = IO.pipe
    @lines = Queue.new
    @stderr = +""
    @pid = Process.spawn({ "RUBYLIB" => nil, "RUBYOPT" => nil }, RbConfig.ruby, SCRIPT, *args,
                         in: in_r, out: out_w, err: err_w)
    [in_r, out_w, err_w].each(&:close)
    out_r.binmode
    @stdin.binmode
    @threads = [
      Thread.new do
        out_r.each_line { |line| @lines << line.chomp }
      ensure
        @lines << :eof
        out_r.close
      end,
      Thread.new do
        @stderr << err_r.read
      ensure
        err_r.close
      end,
      Thread.new do
        messages.each { |parts| @stdin.write("#{self.class.encode(parts)}\n") }
        @stdin.write("END\n")
        @stdin.flush
      rescue IOError, SystemCallError
        nil # the peer is gone; its exit status tells why
      end
    ]
  end

  # Waits for "READY <endpoint>" and returns the endpoint (a bound tcp port resolved).
  def ready!(seconds = 10)
    line = next_line(seconds)
    fail!("expected READY, got #{line[0, 80].inspect}") unless line.start_with?("READY ")
    @endpoint = line.delete_prefix("READY ")
  end

  # The next stdout line within `seconds`, or nil; raises Failure once stdout has ended.
  def line_within(seconds)
    limit = monotonic + seconds
    while @lines.empty?
      return nil if monotonic > limit

      sleep 0.002
    end
    line = @lines.pop
    fail!("stdout ended") if line == :eof
    line
  end

  def next_line(seconds = 10)
    line_within(seconds) || fail!("no output in #{seconds}s")
  end

  # The next `count` messages the peer reports having received, as arrays of parts.
  def received(count, seconds = 10)
    Array.new(count) do
      line = next_line(seconds)
      fail!("expected MSG, got #{line[0, 80].inspect}") unless line.start_with?("MSG ")
      self.class.decode(line.delete_prefix("MSG "))
    end
  end

  def say(line)
    @threads.last.join(10) || fail!("stdin not consumed")
    @stdin.write("#{line}\n")
    @stdin.flush
  end

  # Waits (bounded) for "DONE" and a clean exit; raises Failure otherwise.
  def finish!(seconds = 10)
    line = next_line(seconds)
    fail!("expected DONE, got #{line[0, 80].inspect}") unless line == "DONE"
    limit = monotonic + seconds
    sleep 0.002 until reap || monotonic > limit
    fail!("did not exit in #{seconds}s") unless @status
    fail!("failed") unless @status.success?
    true
  end

  # Kills (if still running) and reaps the process, and ends the pipe threads. Idempotent.
  def stop
    begin
      @stdin.close unless @stdin.closed?
    rescue IOError, SystemCallError
      nil
    end
    unless reap
      begin
        Process.kill(:KILL, @pid)
      rescue Errno::ESRCH
        nil
      end
      begin
        _, @status = Process.wait2(@pid)
      rescue Errno::ECHILD
        nil
      end
    end
    @threads.each { |t| t.join(2) || t.kill }
  end

  private

  def reap
    return @status if @status

    pid, status = Process.wait2(@pid, Process::WNOHANG)
    @status = status if pid
  rescue Errno::ECHILD
    nil
  end

  def fail!(what)
    limit = monotonic + 1 # a peer whose stdout ended is exiting: let it finish its stderr
    sleep 0.002 until reap || monotonic > limit
    @threads[1].join(1) if @status
    raise Failure, "libzmq peer #{what} (status: #{@status.inspect}; stderr: #{@stderr.strip.inspect})"
  end

  def monotonic
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end

RSpec.describe "interop with libzmq (ffi-rzmq 2.0 on libzmq 4.3, a peer in another process)" do
  before { skip "ffi-rzmq (Debian's ruby-ffi-rzmq) is not usable from a child ruby" unless LibzmqPeerProcess.available? }

  # Every example sends all of these: a plain one, multipart ones (with an empty part), an
  # empty message, binary parts with NUL bytes, and a 1 MiB random part.
  binary = (0..255).to_a.pack("C*")
  messages = [
    ["hello"],
    ["multi", "", "part", "message"],
    [""],
    ["\x00nul\x00bytes\x00", binary, binary.reverse],
    [Random.new(20_240_601).bytes(1 << 20)]
  ].map { |parts| parts.map { |part| part.b.freeze }.freeze }.freeze
  # PUB/SUB: each message behind a topic frame, with messages the filter must drop before
  # each one; the slow-joiner handshake uses the one-frame SYNC.
  topic = "weather."
  sync = "weather.sync"
  published = messages.each_with_index.map { |parts, i| ["#{topic}#{i}", *parts] }
  noise = published.each_index.map { |i| [["sport.#{i}", "x"], ["weathe", "x"], ["WEATHER.#{i}", "x"]][i % 3] }

  around do |example|
    @peers = []
    @ipc_paths = []
    example.run
  ensure
    @peers.each(&:stop)
    @ipc_paths.each { |path| File.unlink(path) if File.exist?(path) }
  end

  def peer(*args, **opts)
    LibzmqPeerProcess.new(*args, **opts).tap { |p| @peers << p }
  end

  def ipc_endpoint
    path = File.join(Dir.tmpdir, "zmqrs-interop-#{Process.pid}-#{next_id}.ipc")
    @ipc_paths << path
    "ipc://#{path}"
  end

  def our_socket(type)
    sock = ctx.socket(type)
    sock.linger = 0
    sock.rcvtimeo = 5000
    sock.sndtimeo = 5000
    sock
  end

  # Links our socket with a new libzmq peer: the side named by `binder` binds (tcp on a
  # free port of 127.0.0.1, or a fresh ipc path), the other connects. Returns the peer.
  def link(sock, binder, transport, role, type, **opts)
    if binder == :zmq_rs
      endpoint = transport == :tcp ? "tcp://127.0.0.1:#{sock.bind('tcp://127.0.0.1:*')}" : ipc_endpoint
      sock.bind(endpoint) if transport == :ipc
      peer(role, type, "connect", endpoint, **opts).tap(&:ready!)
    else
      endpoint = transport == :tcp ? "tcp://127.0.0.1:*" : ipc_endpoint
      peer(role, type, "bind", endpoint, **opts).tap { |p| expect(sock.connect(p.ready!)).to be(true) }
    end
  end

  # Messages (arrays of parts, or arrays of those) as failure messages can show them: a
  # part over 64 bytes becomes its size and digest.
  def shown(value)
    return value.map { |v| shown(v) } if value.is_a?(Array)
    return value if value.bytesize <= 64

    "<#{value.bytesize} bytes, #{value.encoding}, sha256 #{Digest::SHA256.hexdigest(value)[0, 16]}>"
  end

  # Multipart send: sendm/send, or (REQ and REP refuse sendm) one ZMQ::Message.
  def send_parts(sock, parts)
    if sock.is_a?(ZMQ::Socket::Req) || sock.is_a?(ZMQ::Socket::Rep)
      message = ZMQ::Message.new
      parts.each { |part| message.addstr(part) }
      expect(sock.send_message(message)).to be_nil
    else
      parts[0..-2].each { |part| expect(sock.sendm(part)).to be(true) }
      expect(sock.send(parts.last)).to be(true)
    end
  end

  # Every part of the next message (bounded by the socket's rcvtimeo).
  def recv_parts(sock)
    parts = []
    loop do
      part = sock.recv
      raise "zmq-rs #{sock.type_str}: nothing received within #{sock.rcvtimeo} ms (after #{parts.size} parts)" unless part

      parts << part
      return parts unless sock.rcvmore?
    end
  end

  %i[tcp ipc].each do |transport|
    %i[zmq_rs libzmq].each do |binder|
      context "over #{transport}, #{binder == :zmq_rs ? 'zmq-rs' : 'libzmq'} binding" do
        it "REQ/REP: a zmq-rs REQ against a libzmq REP" do
          req = our_socket(:REQ)
          rep = link(req, binder, transport, "echo", :REP, count: messages.size)
          messages.each do |parts|
            send_parts(req, parts)
            expect(shown(recv_parts(req))).to eq(shown(parts))
          end
          expect(shown(rep.received(messages.size))).to eq(shown(messages))
          rep.finish!
        end

        it "REQ/REP: a libzmq REQ against a zmq-rs REP" do
          rep = our_socket(:REP)
          req = link(rep, binder, transport, "request", :REQ, messages: messages)
          messages.each do |parts|
            request = recv_parts(rep)
            expect(shown(request)).to eq(shown(parts))
            expect(request.map(&:encoding).uniq).to eq([Encoding::BINARY])
            send_parts(rep, request)
          end
          expect(shown(req.received(messages.size))).to eq(shown(messages))
          req.finish!
        end

        it "PUSH/PULL: a zmq-rs PUSH to a libzmq PULL" do
          push = our_socket(:PUSH)
          pull = link(push, binder, transport, "recv", :PULL, count: messages.size)
          messages.each { |parts| send_parts(push, parts) }
          expect(shown(pull.received(messages.size))).to eq(shown(messages))
          pull.finish!
        end

        it "PUSH/PULL: a libzmq PUSH to a zmq-rs PULL" do
          pull = our_socket(:PULL)
          push = link(pull, binder, transport, "send", :PUSH, messages: messages)
          expect(shown(Array.new(messages.size) { recv_parts(pull) })).to eq(shown(messages))
          push.finish!
        end

        it "PUB/SUB: a zmq-rs PUB to a libzmq SUB with a topic filter" do
          pub = our_socket(:PUB)
          sub = link(pub, binder, transport, "recv", :SUB, count: published.size, subscribe: topic, sync: sync)
          # Slow joiner: publish SYNC until the subscriber has one (bounded), then the rest.
          limit = monotonic + 5
          line = nil
          until line
            raise "the libzmq SUB got no #{sync} in 5 s" if monotonic > limit

            expect(pub.send(sync)).to be(true)
            line = sub.line_within(0.01)
          end
          expect(line).to eq("SYNCED")
          noise.zip(published).each do |dropped, kept|
            send_parts(pub, dropped)
            send_parts(pub, kept)
          end
          expect(shown(sub.received(published.size))).to eq(shown(published))
          sub.finish!
        end

        it "PUB/SUB: a libzmq PUB to a zmq-rs SUB with a topic filter" do
          sub = our_socket(:SUB)
          sub.subscribe(topic)
          pub = link(sub, binder, transport, "send", :PUB, messages: noise.zip(published).flatten(1), sync: sync)
          # The peer publishes SYNC every 10 ms until told GO; rcvtimeo bounds the wait.
          expect(recv_parts(sub)).to eq([sync])
          pub.say("GO")
          got = []
          while got.size < published.size
            parts = recv_parts(sub)
            got << parts unless parts == [sync] # copies still in flight before GO
          end
          expect(shown(got)).to eq(shown(published))
          pub.finish!
          expect(sub.poll(50)).to be(false) # and nothing the filter should have dropped
        end

        it "ROUTER/DEALER: a zmq-rs DEALER with an identity against a libzmq ROUTER" do
          identity = "zmq-rs dealer (#{transport}, #{binder})"
          dealer = our_socket(:DEALER)
          dealer.identity = identity
          router = link(dealer, binder, transport, "echo", :ROUTER, count: messages.size)
          messages.each do |parts|
            send_parts(dealer, parts)
            expect(shown(recv_parts(dealer))).to eq(shown(parts))
          end
          expect(shown(router.received(messages.size))).to eq(shown(messages.map { |parts| [identity.b, *parts] }))
          router.finish!
        end

        it "ROUTER/DEALER: a libzmq DEALER with a binary identity against a zmq-rs ROUTER" do
          identity = "libzmq\x00dealer\xFF".b
          router = our_socket(:ROUTER)
          dealer = link(router, binder, transport, "request", :DEALER, messages: messages, identity: identity)
          messages.each do |parts|
            envelope, *body = recv_parts(router)
            expect(envelope).to eq(identity)
            expect(shown(body)).to eq(shown(parts))
            send_parts(router, [envelope, *body])
          end
          expect(shown(dealer.received(messages.size))).to eq(shown(messages))
          dealer.finish!
        end
      end
    end
  end

  it "a zmq-rs ROUTER replies to a libzmq DEALER that set no identity (a generated one)" do
    router = our_socket(:ROUTER)
    dealer = link(router, :zmq_rs, :tcp, "request", :DEALER, messages: messages.first(2))
    2.times do |i|
      envelope, *body = recv_parts(router)
      expect(envelope).not_to be_empty
      expect(shown(body)).to eq(shown(messages[i]))
      send_parts(router, [envelope, *body])
    end
    expect(shown(dealer.received(2))).to eq(shown(messages.first(2)))
    dealer.finish!
  end

  it "a zmq-rs PUSH reconnects to a libzmq PULL restarted on the same endpoint" do
    push = our_socket(:PUSH)
    first = link(push, :libzmq, :tcp, "recv", :PULL, count: 1)
    send_parts(push, ["before"])
    expect(first.received(1)).to eq([["before"]])
    first.stop # killed: the connection drops under zmq-rs
    second = peer("recv", :PULL, "bind", first.endpoint, count: 1)
    expect(second.ready!).to eq(first.endpoint)
    send_parts(push, ["after"]) # queued on the connecting side until it has reconnected
    expect(second.received(1)).to eq([["after"]])
    second.finish!
  end

  it "zmq-rs answers libzmq's ZMTP heartbeats, so libzmq keeps the connection" do
    push = our_socket(:PUSH)
    events = Queue.new
    handler = ZMQ::Monitor.new
    handler.define_singleton_method(:on_accepted) { |_addr, _fd| events << :accepted }
    handler.define_singleton_method(:on_disconnected) { |_addr, _fd| events << :disconnected }
    expect(push.monitor("inproc://interop-monitor-#{next_id}", handler,
                        ZMQ::EVENT_ACCEPTED | ZMQ::EVENT_DISCONNECTED)).to be(true)
    # libzmq PINGs every 20 ms and drops a connection that answers nothing in 60 ms.
    pull = link(push, :zmq_rs, :tcp, "recv", :PULL, count: 2, heartbeat: 20)
    send_parts(push, ["first"])
    expect(pull.received(1)).to eq([["first"]])
    # No traffic for 0.5 s but PINGs and PONGs (the window is the point, not a sync).
    limit = monotonic + 0.5
    sleep 0.01 until events.size > 1 || monotonic > limit
    expect(Array.new(events.size) { events.pop }).to eq([:accepted])
    send_parts(push, ["second"])
    expect(pull.received(1)).to eq([["second"]])
    pull.finish!
    # The peer has gone: the monitor does see a dropped connection.
    limit = monotonic + 5
    sleep 0.01 until !events.empty? || monotonic > limit
    expect(events.empty? ? :nothing : events.pop).to eq(:disconnected)
  end

  it "kills and reaps a peer that is still running" do
    pull = peer("recv", :PULL, "bind", "tcp://127.0.0.1:*", count: 1)
    pull.ready!
    pull.stop
    expect { Process.kill(0, pull.pid) }.to raise_error(Errno::ESRCH)
  end
end
