# frozen_string_literal: true

require "socket"

module ZMQ
  # UDP service discovery on the local network (rbczmq-api.md section 2.12), speaking
  # czmq 2.0.1's zbeacon protocol: a beacon is one UDP datagram holding exactly the
  # published bytes (1..255), broadcast every `interval` ms to the beacon's port; every
  # beacon bound to that port on the LAN hears it. Received beacons that match the
  # subscription prefix are delivered on the `pipe` (a PAIR socket) as two frames: the
  # sender's IP address, then the beacon bytes.
  #
  # The work happens on a background Ruby thread (the agent), which owns the UDP socket
  # and the sending end of an inproc PAIR pipe in a private context of its own; the
  # application reads the other end. No ZMQ::Context is needed.
  #
  # The interface: the first up, non-loopback IPv4 interface that can broadcast. Set
  # ZSYS_INTERFACE (as in later czmq) to an interface name or address to choose one;
  # "lo" (or any interface without a broadcast address) uses 127.255.255.255, which
  # reaches every beacon on this machine only.
  class Beacon
    MAX_SIZE = 255
    private_constant :MAX_SIZE

    # Makes a beacon on UDP `port` (0: any free port). Raises ZMQ::Error when there is no
    # usable interface.
    def initialize(port)
      raise TypeError, "wrong argument type #{ZMQ.__class_name(port)} (expected Integer)" unless port.is_a?(Integer)

      address, broadcast = Beacon.__interface
      udp = Beacon.__udp_socket(port & 0xFFFF) # czmq passes the port through htons
      @hostname = address
      @port = udp.local_address.ip_port
      @agent = Agent.new(udp, Addrinfo.udp(broadcast, @port))
      ObjectSpace.define_finalizer(self, Beacon.__finalizer(@agent))
    end

    # The IPv4 address of the interface this beacon works on.
    def hostname
      check_alive
      @hostname.dup
    end

    # The UDP port (the real one when made with port 0).
    def port
      check_alive
      @port
    end

    # Broadcast period in milliseconds (default 1000).
    def interval=(ms)
      check_alive
      raise TypeError, "wrong argument type #{ZMQ.__class_name(ms)} (expected Integer)" unless ms.is_a?(Integer)
      raise ZMQ::Error, "beacon interval must be a positive number of milliseconds" unless ms.positive?

      @agent.command(:interval, ms)
    end

    # Ignore received beacons that are byte for byte our own transmission.
    def noecho
      check_alive
      @agent.command(:noecho, true)
    end

    # Broadcast `data` (1..255 bytes) every interval, starting now.
    def publish(data)
      check_alive
      raise TypeError, "wrong argument type #{ZMQ.__class_name(data)} (expected String)" unless data.is_a?(String)
      raise ZMQ::Error, "beacon data must be 1 to #{MAX_SIZE} bytes" unless data.bytesize.between?(1, MAX_SIZE)

      @agent.command(:publish, data.b.freeze)
    end

    # Stop broadcasting.
    def silence
      check_alive
      @agent.command(:publish, nil)
    end

    # Deliver received beacons that start with `filter` (nil or "": every beacon).
    def subscribe(filter)
      check_alive
      unless filter.nil? || filter.is_a?(String)
        raise TypeError, "wrong argument type #{ZMQ.__class_name(filter)} (expected String)"
      end
      raise ZMQ::Error, "beacon filter must be at most #{MAX_SIZE} bytes" if filter && filter.bytesize > MAX_SIZE

      @agent.command(:filter, (filter || "").b.freeze)
    end

    # Stop delivering received beacons.
    def unsubscribe
      check_alive
      @agent.command(:filter, nil)
    end

    # A new ZMQ::Socket::Pair over the beacon's pipe (BOUND, no context). Each beacon
    # received is two frames: the sender's IP address, then the beacon bytes. Closing or
    # collecting the object leaves the pipe open.
    def pipe
      check_alive
      @agent.api_pipe.__detached_view
    end

    # Stops the beacon and closes its pipe. Safe to call twice. Returns nil.
    def destroy
      return nil unless @agent

      agent = @agent
      @agent = nil
      ObjectSpace.undefine_finalizer(self)
      agent.stop
      agent.thread.join
      nil
    end

    def destroyed?
      @agent.nil?
    end

    # The default inspect, without instance variables (as rbczmq's).
    def inspect
      to_s
    end

    class << self
      # [address, broadcast address] of the interface to use.
      def __interface
        wanted = ENV.fetch("ZSYS_INTERFACE", "").strip
        candidates = ::Socket.getifaddrs.select { |i| i.addr&.ipv4? && i.flags.anybits?(::Socket::IFF_UP) }
        iface =
          if wanted.empty?
            candidates.find do |i|
              i.flags.nobits?(::Socket::IFF_LOOPBACK) && i.flags.anybits?(::Socket::IFF_BROADCAST) && i.broadaddr&.ipv4?
            end
          else
            candidates.find { |i| i.name == wanted || i.addr.ip_address == wanted }
          end
        unless iface
          raise ZMQ::Error, "no IPv4 interface #{wanted}" unless wanted.empty?

          raise ZMQ::Error, "no broadcast-capable IPv4 interface for ZMQ::Beacon " \
                            "(set ZSYS_INTERFACE=lo to discover beacons on this machine only)"
        end
        [iface.addr.ip_address, __broadcast_of(iface, wanted)]
      end

      def __broadcast_of(iface, wanted)
        if iface.broadaddr&.ipv4? && iface.flags.anybits?(::Socket::IFF_BROADCAST)
          # czmq 2.0.1 always sends to 255.255.255.255; a chosen interface gets its own.
          wanted.empty? ? "255.255.255.255" : iface.broadaddr.ip_address
        else
          "127.255.255.255" # loopback: the local broadcast address every beacon here hears
        end
      end

      def __udp_socket(port)
        udp = UDPSocket.new(::Socket::AF_INET)
        udp.setsockopt(::Socket::SOL_SOCKET, ::Socket::SO_BROADCAST, true)
        udp.setsockopt(::Socket::SOL_SOCKET, ::Socket::SO_REUSEADDR, true)
        udp.setsockopt(::Socket::SOL_SOCKET, ::Socket::SO_REUSEPORT, true) if defined?(::Socket::SO_REUSEPORT)
        udp.bind("0.0.0.0", port)
        udp
      rescue SystemCallError
        udp&.close
        raise
      end

      # Stops the agent of a beacon nobody references (without waiting for it).
      def __finalizer(agent)
        proc { agent.stop }
      end
    end

    private

    def check_alive
      return if @agent

      raise ZMQ::Error, "ZMQ::Beacon instance #{to_s[/0x\h+/]} has been destroyed by the ZMQ framework"
    end

    # The background side: UDP socket, broadcast timer, filter, and the pipe's sending end.
    class Agent # :nodoc:
      attr_reader :thread, :api_pipe

      def initialize(udp, broadcast)
        @udp = udp
        @broadcast = broadcast
        @interval = 1000
        @transmit = nil
        @filter = nil
        @noecho = false
        @ping_at = nil
        @stopped = false
        @lock = Mutex.new
        @wake_r, @wake_w = IO.pipe
        @context = ZMQ::Context.__alloc("ZMQ::Beacon")
        endpoint = "inproc://zmq-rs.beacon.#{object_id}"
        @agent_pipe = @context.socket(ZMQ::PAIR)
        @agent_pipe.bind(endpoint)
        @agent_pipe.sndtimeo = 0 # a reader that does not keep up misses beacons
        @api_pipe = @context.socket(ZMQ::PAIR)
        @api_pipe.connect(endpoint)
        @thread = Thread.new { run }
        @thread.name = "zmq-rs beacon"
      end

      # Changes a setting (from the API thread) and wakes the agent. Returns nil.
      def command(name, value)
        @lock.synchronize do
          case name
          when :interval then @interval = value
          when :noecho then @noecho = value
          when :filter then @filter = value
          when :publish
            @transmit = value
            @ping_at = monotonic_ms # start broadcasting at once
          end
        end
        wake
        nil
      end

      def stop
        @stopped = true
        wake
      end

      private

      def wake
        @wake_w.write_nonblock("x", exception: false)
      rescue IOError
        nil
      end

      def monotonic_ms
        Process.clock_gettime(Process::CLOCK_MONOTONIC, :millisecond)
      end

      def run
        until @stopped
          ready = IO.select([@udp, @wake_r], nil, nil, wait_seconds)
          if ready
            @wake_r.read_nonblock(256, exception: false) if ready.first.include?(@wake_r)
            receive if ready.first.include?(@udp)
          end
          broadcast_if_due
        end
      ensure
        shut_down
      end

      # Seconds until the next broadcast, or nil (wait for ever) when silent.
      def wait_seconds
        @lock.synchronize do
          next nil unless @transmit

          [@ping_at - monotonic_ms, 0].max / 1000.0
        end
      end

      def broadcast_if_due
        data = @lock.synchronize do
          next nil unless @transmit && monotonic_ms >= @ping_at

          @ping_at = monotonic_ms + @interval
          @transmit
        end
        return unless data

        begin
          @udp.send(data, 0, @broadcast)
        rescue SystemCallError
          nil # as czmq: a network that refuses broadcasts just gets no beacons
        end
      end

      def receive
        Kernel.loop do
          data, from = @udp.recvfrom_nonblock(MAX_SIZE, exception: false)
          return if data == :wait_readable || data.nil?

          deliver(from[3], data) if wanted?(data)
        end
      rescue SystemCallError
        nil
      end

      def wanted?(data)
        @lock.synchronize do
          next false unless @filter && data.start_with?(@filter)
          next false if @noecho && @transmit == data

          true
        end
      end

      def deliver(sender, data)
        @agent_pipe.sendm(sender)
        @agent_pipe.send(data)
      rescue ZMQ::Error, SystemCallError
        nil
      end

      def shut_down
        @udp.close unless @udp.closed?
        [@wake_r, @wake_w].each { |io| io.close unless io.closed? }
        @context.__destroy unless @context.__destroyed?
      end
    end
    private_constant :Agent
  end
end
