# frozen_string_literal: true

module ZMQ
  # One context per process (rbczmq-api.md section 2.1). The native part (ext/zmq_rs
  # context.rs) owns the engine context and the sockets made from it; this part keeps the
  # per-process registry that ZMQ.context reads.
  class Context
    class << self
      # Makes the process's context. A second live one raises ZMQ::Error. `new` is a
      # singleton method, so a subclass still gets a plain ZMQ::Context.
      def new(io_threads = nil)
        registry = ZMQ.__context_registry
        if (live = registry[Process.pid])
          raise ZMQ::Error, "single ZMQ context per process allowed (previous context created at #{live.__created_at})"
        end

        location = caller_locations(1, 1).first
        ctx = ZMQ::Context.__alloc("#{location&.path}:#{location&.lineno}")
        ctx.__send__(:initialize)
        registry[Process.pid] = ctx
        ctx.iothreads = io_threads if io_threads
        ctx
      end
    end

    # rbczmq reset the INT and TERM traps here; zmq-rs leaves the application's traps
    # alone (doc/compatibility.md).
    def initialize(*); end # rubocop:disable Style/RedundantInitialize

    # Closes every socket of this context (their objects then raise ZMQ::Error), then
    # terminates it: blocked calls in other threads return nil. Waits (interruptibly, GVL
    # released) up to the linger for queued messages. Returns nil.
    def destroy
      __destroy
      nil
    ensure
      registry = ZMQ.__context_registry
      registry[Process.pid] = nil if __destroyed? && registry[Process.pid].equal?(self)
    end

    # socket(type) then bind; returns the socket.
    def bind(type, endpoint)
      sock = socket(type)
      sock.bind(endpoint)
      sock
    end

    # socket(type) then connect; returns the socket.
    def connect(type, endpoint)
      sock = socket(type)
      sock.connect(endpoint)
      sock
    end
  end

  # The pid => context Hash behind ZMQ.context.
  def self.__context_registry
    @__zmq_ctx_process ||= {}
  end
end
