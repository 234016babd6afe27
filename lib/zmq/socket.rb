# frozen_string_literal: true

module ZMQ
  # The socket base class (rbczmq-api.md sections 2.2 and 3). Instances come from
  # Context#socket and are of a type-specific subclass (lib/zmq/socket/*.rb). The native
  # part (ext/zmq_rs socket.rs) does state, bind/connect, send/recv and options; this
  # file adds the Ruby-level methods rbczmq has.
  class Socket
    # rbczmq's regexp for "already a transport URI" (its precedence is loose on purpose:
    # it matches any string containing "ipc" or "tcp").
    PROTO_REXP = /^inproc|ipc|tcp|e?pgm:\/\//.freeze # rubocop:disable Style/RegexpLiteral,Lint/MixedRegexpCaptureTypes

    INT_OPTIONS = %i[sndhwm rcvhwm affinity rate recovery_ivl maxmsgsize multicast_hops sndbuf
                     rcvbuf linger backlog reconnect_ivl reconnect_ivl_max rcvtimeo sndtimeo].freeze
    private_constant :INT_OPTIONS

    INT_OPTIONS.each do |name|
      define_method(name) { __getopt(name) }
      define_method(:"#{name}=") { |value| __setopt(name, value) }
    end

    def ipv4only?
      __getopt(:ipv4only)
    end

    def ipv4only=(value)
      __setopt(:ipv4only, value)
    end

    def delay_attach_on_connect=(value)
      __setopt(:delay_attach_on_connect, value)
    end

    def router_mandatory=(value)
      __setopt(:router_mandatory, value)
    end

    def router_raw=(value)
      __setopt(:router_raw, value)
    end

    def xpub_verbose=(value)
      __setopt(:xpub_verbose, value)
    end

    # STREAM and raw ROUTER (a zmq-rs extra; off, as in rbczmq's libzmq 4.0): when on,
    # each raw peer's connect and disconnect arrive as [identity, ""].
    def stream_notify?
      __getopt(:stream_notify)
    end

    def stream_notify=(value)
      __setopt(:stream_notify, value)
    end

    # Binds (after the DNS SRV step for a URI that names no transport) and returns the
    # port: the real one for "tcp://...:*", else the number given (0 for inproc/ipc).
    def bind(uri)
      real_bind(uri && !PROTO_REXP.match?(uri.to_s) ? ZMQ::Socket.__srv_uri(uri) : uri)
    end

    # Connects (after the DNS SRV step) and returns true.
    def connect(uri)
      real_connect(uri && !PROTO_REXP.match?(uri.to_s) ? ZMQ::Socket.__srv_uri(uri) : uri)
    end

    # Connects to every target of the URI's SRV records (returns self), or to the URI
    # itself (returns nil when it names a transport).
    def connect_all(uri)
      if PROTO_REXP.match?(uri.to_s)
        real_connect(uri)
        return nil
      end
      records = ZMQ::Socket.__srv_records(uri)
      if records.empty?
        real_connect(uri)
        return nil
      end
      records.each { |rec| real_connect("tcp://#{Resolv.getaddress(rec.target.to_s)}:#{rec.port}") }
      self
    end

    def endpoint
      endpoints.first
    end

    def readable?
      (events & ZMQ::POLLIN) == ZMQ::POLLIN
    end

    def writable?
      (events & ZMQ::POLLOUT) == ZMQ::POLLOUT
    end

    def poll_readable?
      true
    end

    def poll_writable?
      true
    end

    def type_str
      self.class.const_get(:TYPE_STR)
    end

    def to_s
      case state
      when BOUND then "#{type_str} socket bound to #{endpoints.join(', ')}"
      when CONNECTED then "#{type_str} socket connected to #{endpoints.join(', ')}"
      else "#{type_str} socket"
      end
    end

    # Sends a ZMQ::Frame: flags nil/Integer/Symbol (ZMQ::Frame::MORE, :REUSE, :DONTWAIT).
    # Unless REUSE is given the frame is gone afterwards. true, or false on EAGAIN.
    def send_frame(frame, flags = nil)
      __check_sendable
      __check_frame(frame)
      flags = __frame_flags(flags)
      data = frame.__data_for_send
      begin
        __send_part(data, flags.anybits?(ZMQ::Frame::MORE), flags.anybits?(ZMQ::Frame::DONTWAIT))
      ensure
        frame.destroy unless flags.anybits?(ZMQ::Frame::REUSE) || frame.gone?
      end
    end

    # Sends every frame of a ZMQ::Message as one multipart message; the message and its
    # frames are gone afterwards. Send errors are ignored; returns nil.
    def send_message(message)
      __check_sendable
      unless message.is_a?(ZMQ::Message)
        raise TypeError, "wrong argument type #{message.class} (expected ZMQ::Message): #{message}"
      end
      raise TypeError, "Cannot modify a message that is gone." if message.gone?

      # The frames' own Strings (not copies): destroy only drops the frames' hold on them.
      parts = message.to_a.map { |frame| frame.__send__(:__live_data) }
      message.destroy
      parts.each_with_index do |data, i|
        __send_part(data, i < parts.size - 1, false)
      rescue SystemCallError
        break
      end
      nil
    end

    # The next part as a ZMQ::Frame (more? tells whether parts follow), or nil.
    def recv_frame
      data, more, properties = __recv_part(false)
      data && ZMQ::Frame.__received(data, more, properties)
    end

    def recv_frame_nonblock
      data, more, properties = __recv_part(true)
      data && ZMQ::Frame.__received(data, more, properties)
    end

    # Every part of the next message as a ZMQ::Message, or nil if a part fails.
    def recv_message
      message = ZMQ::Message.new
      Kernel.loop do
        data, more, properties = __recv_part(false)
        return nil unless data

        # A fresh binary String already: the frame takes it without another copy. Each
        # frame keeps its MORE flag, as czmq's zmsg_recv keeps zframe_recv's frames.
        message.add(ZMQ::Frame.__received(data, more, properties))
        return message unless more
      end
    end

    private

    def __check_sendable
      raise ZMQ::Error, "can only send on a bound or connected socket!" unless state.anybits?(BOUND | CONNECTED)
    end

    def __check_frame(frame)
      raise TypeError, "wrong argument type #{frame.class} (expected ZMQ::Frame): #{frame}" unless frame.is_a?(ZMQ::Frame)
    end

    def __frame_flags(flags)
      case flags
      when nil then 0
      when Integer then flags
      when Symbol then ZMQ::Frame.const_get(flags)
      else raise TypeError, "wrong argument type #{ZMQ.__class_name(flags)} (expected Integer)"
      end
    end

    class << self
      # The DNS SRV step: "service.domain" becomes tcp://<address>:<port> of the best
      # _service._tcp.domain record (lowest priority, then highest weight), or stays as
      # it is when there is no record or the lookup fails.
      def __srv_uri(uri)
        best = __srv_records(uri).min_by { |rec| [rec.priority, -rec.weight] }
        best ? "tcp://#{Resolv.getaddress(best.target.to_s)}:#{best.port}" : uri
      rescue StandardError
        uri
      end

      def __srv_records(uri)
        service, domain = uri.to_s.split(".", 2)
        # Without a domain there is nothing to look up (and no reason to wait for DNS).
        return [] if domain.nil? || domain.empty? || service.empty?

        ZMQ.resolver.getresources("_#{service}._tcp.#{domain}", Resolv::DNS::Resource::IN::SRV)
      rescue StandardError
        []
      end
    end
  end

  # Included by sockets that only send (PUB, PUSH): the receive methods raise.
  module UpstreamSocket
    RECV_METHODS = %i[recv recv_nonblock recv_frame recv_frame_nonblock recv_message].freeze

    def self.included(klass)
      type = klass.const_get(:TYPE_STR)
      RECV_METHODS.each do |name|
        message = "API #{name} not supported for #{type} sockets!"
        klass.send(:define_method, name) { |*| raise ZMQ::Error, message }
      end
      klass.send(:define_method, :poll_readable?) { false }
    end
  end

  # Included by sockets that only receive (SUB, PULL): the send methods raise.
  module DownstreamSocket
    SEND_METHODS = %i[send sendm send_frame send_message].freeze

    def self.included(klass)
      type = klass.const_get(:TYPE_STR)
      SEND_METHODS.each do |name|
        message = "API #{name} not supported for #{type} sockets!"
        klass.send(:define_method, name) { |*| raise ZMQ::Error, message }
      end
      klass.send(:define_method, :poll_writable?) { false }
    end
  end
end

%w[pub sub push pull pair request_reply req rep router dealer stream xpub xsub].each do |name|
  require "zmq/socket/#{name}"
end
