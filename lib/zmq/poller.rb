# frozen_string_literal: true

module ZMQ
  # Polls many sockets and IOs at once (rbczmq-api.md section 2.6). Readiness is
  # level-triggered: whatever is ready when `poll` is called, or becomes ready while it
  # waits, is reported. The wait releases the GVL and is interrupted like `recv`
  # (Ctrl-C raises Interrupt, Thread#raise/#kill and Timeout work).
  class Poller
    def initialize
      @items = []
      @readables = []
      @writables = []
      @verbose = false
    end

    # The ready pollables (the socket/IO objects) of the last poll; the same Arrays are
    # refilled by each poll.
    attr_reader :readables, :writables

    # Registers a Pollitem, or a ZMQ::Socket/IO (for POLLIN and POLLOUT); returns the
    # Pollitem. Registering twice polls twice.
    def register(pollable)
      item = ZMQ::Pollitem.coerce(pollable)
      ZMQ::Pollitem.__check_socket(item.pollable) if item.__socket?
      item.verbose = true if @verbose
      # The events are copied now, as rbczmq does.
      @items << [item, item.events & (ZMQ::POLLIN | ZMQ::POLLOUT)]
      item
    end

    def register_readable(pollable)
      register(ZMQ::Pollitem.new(pollable, ZMQ::POLLIN))
    end

    def register_writable(pollable)
      register(ZMQ::Pollitem.new(pollable, ZMQ::POLLOUT))
    end

    # Removes the first registered item that is `pollable` (coerced to a Pollitem) or
    # polls the same object; returns that Pollitem, or false.
    def remove(pollable)
      item = ZMQ::Pollitem.coerce(pollable)
      index = @items.index { |registered, _| registered.equal?(item) || registered.pollable.equal?(item.pollable) }
      return false unless index

      @items.delete_at(index).first
    end

    # Waits up to `timeout` seconds (Integer or Float; nil: do not wait; negative: for
    # ever) for a registered item to be ready. Returns how many items are ready and fills
    # readables/writables. With nothing registered it returns 0 at once.
    def poll(timeout = nil)
      ms = __timeout_ms(timeout)
      @readables.clear
      @writables.clear
      return 0 if @items.empty?

      items = @items.dup
      entries = items.map { |item, events| [item.pollable, item.__socket?, events] }
      deadline = ms.negative? ? nil : PollWait.now + (ms / 1000.0)
      revents = PollWait.wait(entries, deadline)
      count = 0
      items.each_with_index do |(item, _), i|
        ev = revents[i]
        next if ev.zero?

        __poll_error(item.pollable) if ev == ZMQ::POLLERR
        count += 1
        @readables << item.pollable if ev.anybits?(ZMQ::POLLIN)
        @writables << item.pollable if ev.anybits?(ZMQ::POLLOUT)
      end
      count
    end

    def poll_nonblock
      poll(0)
    end

    # Pollitems registered from now on make their socket verbose.
    def verbose=(value)
      @verbose = (value == true)
      nil
    end

    private

    # Whole milliseconds, as rbczmq hands them to zmq_poll.
    def __timeout_ms(timeout)
      case timeout
      when nil then 0
      when Integer then timeout.negative? ? -1 : timeout * 1000
      when Float then timeout.negative? ? -1 : (timeout * 1000).to_i
      else raise TypeError, "wrong timeout type #{timeout} (expected Fixnum or Float)"
      end
    end

    # A destroyed socket raises its usual ZMQ::Error; a closed IO raises IOError.
    def __poll_error(pollable)
      if pollable.is_a?(ZMQ::Socket)
        pollable.events # raises "... has been destroyed by the ZMQ framework"
        raise ZMQ::Error, "#{pollable} cannot be polled"
      end
      raise IOError, "closed stream"
    end
  end
end
