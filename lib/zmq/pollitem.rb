# frozen_string_literal: true

module ZMQ
  # A pollable thing, a ZMQ::Socket or any Ruby IO, with the events to watch and an
  # optional handler for ZMQ::Loop (rbczmq-api.md section 2.7).
  class Pollitem
    class << self
      # `events` is POLLIN, POLLOUT or both (nil: both); a socket must be bound or
      # connected.
      def new(pollable, events = nil)
        events = ZMQ::POLLIN | ZMQ::POLLOUT if events.nil?
        raise TypeError, "wrong argument type #{ZMQ.__class_name(events)} (expected Integer)" unless events.is_a?(Integer)
        if (events & (ZMQ::POLLIN | ZMQ::POLLOUT)).zero?
          raise ZMQ::Error, "invalid socket event: Only ZMQ::POLLIN and ZMQ::POLLOUT events are supported!"
        end

        case pollable
        when ZMQ::Socket then __check_socket(pollable)
        when IO then nil
        else
          raise TypeError, "wrong pollable type #{pollable.class} (#{pollable}). " \
                           "Only objects of type ZMQ::Socket and IO supported."
        end
        item = allocate
        item.__send__(:__setup, pollable, events)
        item.__send__(:initialize)
        item
      end

      # `x` itself if it is a Pollitem, else Pollitem.new(x, events).
      def coerce(pollable, events = nil)
        pollable.is_a?(ZMQ::Pollitem) ? pollable : new(pollable, events)
      end

      # ZMQ::Error unless the socket can be polled (bound or connected; `state` itself
      # raises for a destroyed socket).
      def __check_socket(sock)
        return if [ZMQ::Socket::BOUND, ZMQ::Socket::CONNECTED].include?(sock.state)

        raise ZMQ::Error, "socket in a pending state (not bound or connected) and thus cannot be registered as a poll item!"
      end
    end

    attr_reader :pollable, :events, :handler

    # The handler must answer on_error, on_readable and on_writable.
    def handler=(handler)
      %i[on_error on_readable on_writable].each do |callback|
        next if handler.respond_to?(callback)

        raise ZMQ::Error, "Pollable entity #{pollable}'s handler #{handler.class} expected to implement an #{callback} callback!"
      end
      @handler = handler
    end

    # Turns the socket's verbose mode on or off (nothing for an IO).
    def verbose=(value)
      pollable.verbose = value if pollable.is_a?(ZMQ::Socket)
      nil
    end

    # Sends through the pollable (this overrides Object#send, as in rbczmq): a Ruby
    # socket gets `send(data, 0)`, another IO `write_nonblock`, a ZMQ::Socket `send`.
    def send(*args)
      case pollable
      when BasicSocket then pollable.send(args.first, 0)
      when IO then pollable.write_nonblock(*args)
      else pollable.send(*args)
      end
    end

    # Receives without blocking: up to 4096 bytes from an IO, a message (or nil) from a
    # ZMQ::Socket.
    def recv
      case pollable
      when BasicSocket then pollable.recv_nonblock(4096)
      when IO then pollable.read_nonblock(4096)
      else pollable.recv_nonblock
      end
    end

    # Whether the pollable is a ZMQ::Socket (an IO otherwise).
    def __socket?
      @socket
    end

    private

    def __setup(pollable, events)
      @pollable = pollable
      @events = events
      @socket = pollable.is_a?(ZMQ::Socket)
      @handler = nil
    end
  end

  # Level-triggered readiness of pollitems, shared by ZMQ::Poller and ZMQ::Loop.
  #
  # Sockets are asked for their events first; only when none of them (nor any IO) is ready
  # does it wait, in one IO.select (GVL released, interruptible like `recv`) over the
  # sockets' readiness fds, the plain IOs and an optional wake-up IO. A socket's fd is
  # cleared ("armed") and its events checked again before the wait, so input or room
  # that arrives in between always wakes it; and after any wake-up the socket's events
  # are asked again, so a spurious wake-up only costs another turn. Before it sleeps,
  # the wait may spin for a few tens of microseconds (GVL released) while one of the
  # sockets awaits an answer that came quickly before (ZMQ.__spin_for_input).
  module PollWait
    ALL = ZMQ::POLLIN | ZMQ::POLLOUT

    module_function

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end

    # `entries`: [pollable, socket?, events] triples. Waits until one is ready, until
    # `deadline` (a monotonic time; nil: for ever) or until `wake` is readable. Returns
    # the revents of each entry (POLLIN/POLLOUT, or POLLERR for a destroyed socket or a
    # closed IO).
    def wait(entries, deadline, wake = nil)
      Kernel.loop do
        revents = Array.new(entries.size, 0)
        socket_levels(entries, revents)
        if revents.any?(&:positive?) || arm(entries, revents) || (deadline && now >= deadline)
          io_levels(entries, revents, 0)
          return revents
        end
        return revents if closed_ios(entries, revents)

        begin
          reads, writes = wait_sets(entries, wake)
        rescue ZMQ::Error
          next # a socket was destroyed meanwhile: the next turn reports it
        end
        timeout = deadline && [deadline - now, 0].max
        spinners = input_sockets(entries)
        started = now
        next if ZMQ.__spin_for_input(spinners, timeout)

        ready = select_ready(reads, writes, timeout)
        ZMQ.__note_input_wait(spinners, now - started)
        woken = false
        if ready
          woken = wake && ready[0].include?(wake) && drain(wake)
          from_select(entries, revents, ready)
        end
        socket_levels(entries, revents)
        return revents if woken || revents.any?(&:positive?) || (deadline && now >= deadline)
      end
    end

    # IO.select that lets the thread's other fibers run while it waits under a Fiber
    # scheduler. Ruby 3.1's IO.select has no scheduler hook, so there the wait goes
    # through one epoll descriptor over all the IOs (ZMQ.__poll_set) and the
    # scheduler's io_wait; a scheduler with an io_select hook (Ruby 3.2+) is asked
    # directly.
    def select_ready(reads, writes, timeout)
      scheduler = Fiber.scheduler
      return IO.select(reads, writes, nil, timeout) if scheduler.nil? || Fiber.current.blocking?
      return scheduler.io_select(reads, writes, nil, timeout) if scheduler.respond_to?(:io_select)

      ready = IO.select(reads, writes, nil, 0)
      return ready if ready || timeout&.zero?

      set = IO.for_fd(ZMQ.__poll_set(reads.map(&:fileno), writes.map(&:fileno)), autoclose: true)
      begin
        set.wait_readable(timeout)
      ensure
        set.close
      end
      IO.select(reads, writes, nil, 0)
    end

    # The sockets polled for input: while one of them awaits an answer that came
    # quickly before, the wait spins briefly before it sleeps, as a blocking recv does
    # (ZMQ.__spin_for_input passes over destroyed ones itself).
    def input_sockets(entries)
      entries.filter_map { |pollable, socket, events| pollable if socket && events.anybits?(ZMQ::POLLIN) }
    end

    # Fills in the sockets' current events: a destroyed socket reports POLLERR.
    def socket_levels(entries, revents)
      entries.each_with_index do |(pollable, socket, events), i|
        next unless socket

        revents[i] = pollable.__destroyed? ? ZMQ::POLLERR : pollable.events & events & ALL
      end
      revents
    end

    # Clears the readiness fds of sockets that are not ready, re-checking each; true if
    # one turned out ready (its revents are filled in).
    def arm(entries, revents)
      ready = false
      entries.each_with_index do |(pollable, socket, events), i|
        next unless socket && revents[i].zero?

        ev = 0
        ev |= ZMQ::POLLIN if events.anybits?(ZMQ::POLLIN) && pollable.__arm_in
        ev |= ZMQ::POLLOUT if events.anybits?(ZMQ::POLLOUT) && pollable.__arm_out
        revents[i] = ev
        ready ||= ev.positive?
      end
      ready
    end

    # Marks closed IOs with POLLERR; true if there is one.
    def closed_ios(entries, revents)
      found = false
      entries.each_with_index do |(pollable, socket, _events), i|
        next if socket || !pollable.closed?

        revents[i] = ZMQ::POLLERR
        found = true
      end
      found
    end

    # The plain IOs' revents from what IO.select returned.
    def from_select(entries, revents, ready)
      readable = ready[0].to_h { |io| [io, true] }.compare_by_identity
      writable = ready[1].to_h { |io| [io, true] }.compare_by_identity
      entries.each_with_index do |(pollable, socket, events), i|
        next if socket || revents[i] == ZMQ::POLLERR

        ev = 0
        ev |= ZMQ::POLLIN if events.anybits?(ZMQ::POLLIN) && readable[pollable]
        ev |= ZMQ::POLLOUT if events.anybits?(ZMQ::POLLOUT) && writable[pollable]
        revents[i] = ev
      end
    end

    # Fills in the plain IOs' revents with a select of `timeout` seconds (closed ones
    # report POLLERR).
    def io_levels(entries, revents, timeout)
      closed_ios(entries, revents)
      reads = []
      writes = []
      entries.each_with_index do |(pollable, socket, events), i|
        next if socket || revents[i] == ZMQ::POLLERR

        reads << pollable if events.anybits?(ZMQ::POLLIN)
        writes << pollable if events.anybits?(ZMQ::POLLOUT)
      end
      return if reads.empty? && writes.empty?

      ready = IO.select(reads, writes, nil, timeout)
      from_select(entries, revents, ready) if ready
    end

    # What IO.select waits on: each socket's input fd (for POLLIN) and room-to-send fd
    # (for POLLOUT), both read-side; the IOs as asked; the wake-up IO.
    def wait_sets(entries, wake)
      reads = []
      writes = []
      entries.each do |pollable, socket, events|
        if socket
          reads << pollable.__io if events.anybits?(ZMQ::POLLIN)
          reads << pollable.__out_io if events.anybits?(ZMQ::POLLOUT)
        else
          reads << pollable if events.anybits?(ZMQ::POLLIN)
          writes << pollable if events.anybits?(ZMQ::POLLOUT)
        end
      end
      reads << wake if wake
      [reads.uniq(&:object_id), writes.uniq(&:object_id)]
    end

    # Empties the wake-up pipe; true.
    def drain(io)
      Kernel.loop { break unless io.read_nonblock(256, exception: false).is_a?(String) }
      true
    end
  end
  private_constant :PollWait
end
