# frozen_string_literal: true

require "weakref"

module ZMQ
  # The default socket monitor callback object (rbczmq-api.md section 2.11): one no-op
  # method per event, each taking (endpoint, value). Subclass it, or pass any object to
  # Socket#monitor; only the methods the handler responds to are called.
  class Monitor
    # Event number => handler method.
    CALLBACKS = {
      ZMQ::EVENT_CONNECTED => :on_connected,
      ZMQ::EVENT_CONNECT_DELAYED => :on_connect_delayed,
      ZMQ::EVENT_CONNECT_RETRIED => :on_connect_retried,
      ZMQ::EVENT_LISTENING => :on_listening,
      ZMQ::EVENT_BIND_FAILED => :on_bind_failed,
      ZMQ::EVENT_ACCEPTED => :on_accepted,
      ZMQ::EVENT_ACCEPT_FAILED => :on_accept_failed,
      ZMQ::EVENT_CLOSED => :on_closed,
      ZMQ::EVENT_CLOSE_FAILED => :on_close_failed,
      ZMQ::EVENT_DISCONNECTED => :on_disconnected
    }.freeze

    CALLBACKS.each_value do |name|
      define_method(name) { |_addr, _value| nil }
    end

    # libzmq's MONITOR_STOPPED (no Ruby constant, as in rbczmq): the engine sends it when
    # the socket is monitored anew or the monitor is stopped; the reader then ends.
    MONITOR_STOPPED = 1024
    private_constant :MONITOR_STOPPED

    # How long the reader keeps taking events after the monitored socket was closed, in
    # case MONITOR_STOPPED never comes (the engine sends it after a closed socket's last
    # event; a forked child's copy of a socket has no I/O thread to send it).
    QUIET_AFTER_CLOSE = 0.1
    private_constant :QUIET_AFTER_CLOSE

    # Reads one socket's events from the inproc PAIR and calls the handler, on its own
    # Ruby Thread (as rbczmq does). It holds the monitored socket only weakly, so a socket
    # nobody references can still be collected.
    class Reader # :nodoc:
      attr_reader :thread

      def initialize(socket, reader, handler, events)
        @socket = WeakRef.new(socket)
        @reader = reader
        @handler = handler
        @events = events
        @wake_r, @wake_w = IO.pipe
        @closed = false
        @thread = start
      end

      # Called when the monitored socket is closed (by Socket#close or by GC): take the
      # remaining events, then end.
      def socket_closed
        @closed = true
        @wake_w.write_nonblock("x", exception: false)
      rescue IOError
        nil
      end

      # A finalizer for the monitored socket that holds nothing but this reader's wake-up.
      def self.finalizer(readers)
        proc { readers.each(&:socket_closed) }
      end

      private

      # (A method of its own, so the thread's block does not capture the socket.)
      def start
        thread = Thread.new { run }
        thread.name = "zmq-rs monitor"
        thread
      end

      def run
        io = @reader.__io
        Kernel.loop do
          while @reader.__arm_in
            return unless dispatch_next
          end
          ready = IO.select([io, @wake_r], nil, nil, @closed ? QUIET_AFTER_CLOSE : nil)
          break if ready.nil? # quiet for a while after close: nothing more will come

          @wake_r.read_nonblock(64, exception: false) if ready.first.include?(@wake_r)
        end
        stop_engine_monitor
      rescue ZMQ::Error
        nil # the reader was closed: its context was destroyed
      ensure
        finish
      end

      # Reads one event and calls the handler; false once the monitor has stopped.
      def dispatch_next
        head = @reader.recv_nonblock
        return true unless head

        endpoint = @reader.rcvmore? ? @reader.recv_nonblock.to_s : ""
        event, value = head.unpack("vV")
        return false if event == MONITOR_STOPPED

        name = CALLBACKS[event]
        @handler.public_send(name, endpoint, value) if name && @events.anybits?(event) && @handler.respond_to?(name)
        true
      end

      def stop_engine_monitor
        @socket.__getobj__.__monitor(nil, 0)
      rescue WeakRef::RefError
        nil
      end

      def finish
        @closed = true
        begin
          @reader.close
        rescue ZMQ::Error
          nil
        end
        [@wake_r, @wake_w].each { |pipe| pipe.close unless pipe.closed? }
      end
    end

    # Extends a monitored socket: its close tells its monitor readers.
    module Watched # :nodoc:
      def close
        super
      ensure
        ZMQ::Monitor.__readers_of(self).each(&:socket_closed) if __destroyed?
      end
    end

    # socket => its monitor readers, without instance variables on the socket (they would
    # show in its inspect). A socket's finalizer keeps its Array alive.
    READERS = ObjectSpace::WeakMap.new
    private_constant :READERS

    def self.__readers_of(socket)
      READERS[socket] || []
    end

    def self.__add_reader(socket, reader)
      readers = READERS[socket]
      unless readers
        readers = READERS[socket] = []
        socket.extend(Watched)
        ObjectSpace.define_finalizer(socket, Reader.finalizer(readers))
      end
      readers.reject! { |r| !r.thread.alive? }
      readers << reader
    end
  end

  class Socket
    # Monitors this socket's connection events (rbczmq-api.md section 2.11). `endpoint`
    # is the inproc:// endpoint the events are published on (nil: a fresh one), `handler`
    # gets on_<event>(endpoint, value) calls on a monitor thread (default ZMQ::Monitor.new),
    # `events` is a mask of ZMQ::EVENT_* (default EVENT_ALL). Returns true, or false when
    # the endpoint cannot be used (libzmq accepts only inproc://). The thread ends when
    # the socket is closed (after its last events), monitored again, or its context is
    # destroyed.
    def monitor(endpoint = nil, handler = nil, events = nil)
      state # a destroyed socket raises ZMQ::Error first
      unless endpoint.nil? || endpoint.is_a?(String)
        raise TypeError, "wrong argument type #{ZMQ.__class_name(endpoint)} (expected String)"
      end
      unless events.nil? || events.is_a?(Integer)
        raise TypeError, "wrong argument type #{ZMQ.__class_name(events)} (expected Integer)"
      end

      context = __context
      return false unless context

      endpoint ||= "inproc://zmq-rs.monitor.#{object_id}.#{ZMQ::Socket.__next_monitor_id}"
      events ||= ZMQ::EVENT_ALL
      # Always ask for MONITOR_STOPPED (1024): the engine sends it after a closed
      # socket's last event, which is when the reader can end. The handler still only
      # hears of the events in `events`.
      return false unless __monitor(endpoint, events | 1024)

      reader = context.socket(ZMQ::PAIR)
      begin
        reader.connect(endpoint) # before returning, so no event is missed
      rescue StandardError
        reader.close
        __monitor(nil, 0)
        raise
      end
      ZMQ::Monitor.__add_reader(self, ZMQ::Monitor::Reader.new(self, reader, handler || ZMQ::Monitor.new, events))
      true
    end

    def self.__next_monitor_id
      @__monitor_ids = (@__monitor_ids || 0) + 1
    end
  end
end
