# frozen_string_literal: true

require "set"
require "forwardable"

module ZMQ
  # The reactor (rbczmq-api.md section 2.8): runs handlers of ready pollitems (sockets
  # and IOs) and timers on the thread that calls `start`, until a callback returns false
  # or `stop` is called (start returns -1), or until ZMQ.interrupted! is called or a
  # registered socket's context is terminated (start returns 0).
  #
  # Readiness is level-triggered (see PollWait in pollitem.rb). The wait releases the
  # GVL and is interrupted like `recv`: Ctrl-C raises Interrupt, Thread#raise and
  # Thread#kill end it at once. A loop with nothing to do sleeps until its next timer.
  #
  # Threads: callbacks run on the loop's thread. register, remove, the timer methods and
  # stop may also be called from other threads (and from signal traps) while the loop
  # runs; they wake the loop so the change takes effect at once.
  class Loop
    # One registered pollitem (the events are copied at registration).
    PollerEntry = Struct.new(:item, :events, :removed)
    # One registered timer; `kind` is :timer, or :breaker for the internal one-shot that
    # `stop` schedules.
    TimerEntry = Struct.new(:timer, :kind, :delay, :times, :fired, :due, :removed)
    private_constant :PollerEntry, :TimerEntry

    BREAKER_DELAY = 0.001
    private_constant :BREAKER_DELAY

    # The loops running now, for ZMQ.interrupted! to wake (a plain Hash: no Mutex, so
    # it works from a signal trap).
    @running_loops = {}.compare_by_identity

    class << self
      extend Forwardable
      def_delegators :instance, :context, :stop, :running?, :verbose=, :register_timer, :cancel_timer,
                     :register, :remove

      # Makes a new global loop (ZMQ::Loop.instance), calls the block (or proc) to
      # register handlers and timers, then starts the loop; returns what start returns.
      def run(proc = nil, &blk)
        self.instance = ZMQ::Loop.new
        (proc || blk).call
        instance.start
      end

      # socket.bind(address), then registers the socket for what it can do (reading,
      # writing or both), each with its own `handler.new(pollitem, args)`. Returns what
      # bind returned (the port). The extra arguments reach the handler as one Array,
      # as in rbczmq.
      def bind(socket, address, handler = ZMQ::DefaultHandler, *args)
        __attach(socket, :bind, address, handler, *args)
      end

      # As `bind`, with connect (returns true).
      def connect(socket, address, handler = ZMQ::DefaultHandler, *args)
        __attach(socket, :connect, address, handler, *args)
      end

      # Registers `pollable` for reading with `handler.new(pollitem, *args)` (no handler
      # if `handler` is nil/false); returns the Pollitem.
      def register_readable(pollable, handler = ZMQ::DefaultHandler, *args)
        __register_with(ZMQ::Pollitem.new(pollable, ZMQ::POLLIN), handler, args)
      end

      def register_writable(pollable, handler = ZMQ::DefaultHandler, *args)
        __register_with(ZMQ::Pollitem.new(pollable, ZMQ::POLLOUT), handler, args)
      end

      # Registers a timer firing `times` times (0: for ever) every `delay` seconds;
      # returns the ZMQ::Timer.
      def add_timer(delay, times, proc = nil, &blk)
        timer = ZMQ::Timer.new(delay, times, proc, &blk)
        instance.register_timer(timer)
        timer
      end

      def add_oneshot_timer(delay, proc = nil, &blk)
        add_timer(delay, 1, proc, &blk)
      end

      def add_periodic_timer(delay, proc = nil, &blk)
        add_timer(delay, 0, proc, &blk)
      end

      # Wakes every running loop (ZMQ.interrupted! calls this).
      def __wake_all
        @running_loops.keys.each(&:__wake)
        nil
      end

      def __running_loops
        @running_loops
      end

      private

      # The global loop of the class-level API (one for all threads, as in rbczmq).
      attr_accessor :instance

      def __register_with(pollitem, handler, args)
        pollitem.handler = handler.new(pollitem, *args) if handler
        instance.register(pollitem)
      end

      def __attach(socket, action, address, handler, *args)
        result = socket.__send__(action, address)
        register_readable(socket, handler, args) if socket.poll_readable?
        register_writable(socket, handler, args) if socket.poll_writable?
        result
      end
    end

    def initialize
      @pollers = [].freeze # replaced, never changed in place (callbacks may register)
      @timers = [].freeze
      @pending = [] # changes made by other threads while running, applied by the loop
      @running = false
      @thread = nil
      @waiting = false
      @verbose = false
      @destroyed = false
      @wake_r = @wake_w = nil
      @entries = @entries_for = nil # what PollWait gets, cached per @pollers
    end

    # Runs the loop on this thread. Returns -1 when stopped by a callback (it returned
    # false, or called stop), 0 when ZMQ.interrupted! was called or a registered socket
    # was destroyed (its context terminated). An exception that a callback raises goes
    # to the same object's on_error; if that raises (the default), it comes out of
    # here.
    def start
      __alive
      raise ZMQ::Error, "event loop already running!" if @thread

      return 0 if ZMQ.interrupted?

      begin
        __start_turns
        status = nil
        status = __turn until status
        status
      ensure
        __end_turns
      end
    end

    # Stops the loop about 1 ms later (start then returns -1). Raises unless running.
    def stop
      __alive
      raise ZMQ::Error, "event loop not running!" unless @running

      __add_timer(TimerEntry.new(nil, :breaker, BREAKER_DELAY, 1, 0, nil, false))
      nil
    end

    def running?
      __alive
      @running
    end

    # Registers a Pollitem (or a ZMQ::Socket/IO, wrapped in a Pollitem for `events`, by
    # default both); returns the Pollitem. Its handler gets the callbacks.
    def register(pollable, events = nil)
      __alive
      item = ZMQ::Pollitem.coerce(pollable, events)
      ZMQ::Pollitem.__check_socket(item.pollable) if item.__socket?
      item.verbose = true if @verbose
      __log("register #{item.pollable} poller (#{item.events})")
      __change { @pollers = (@pollers + [PollerEntry.new(item, item.events & (ZMQ::POLLIN | ZMQ::POLLOUT), false)]).freeze }
      item
    end

    # Removes every registered item for the same socket or the same fd as `pollable`
    # (a Pollitem, ZMQ::Socket or IO). Returns nil. Safe inside callbacks.
    def remove(pollable)
      __alive
      item = ZMQ::Pollitem.coerce(pollable)
      target = item.pollable
      __log("remove #{target} poller")
      __change do
        gone, kept = @pollers.partition { |poller| __same_pollable?(poller.item.pollable, target) }
        gone.each { |poller| poller.removed = true }
        @pollers = kept.freeze
      end
      nil
    end

    # Registers a ZMQ::Timer (its delay and times); true. Its first firing comes its
    # delay after start, or after now if the loop is running.
    def register_timer(timer)
      __alive
      __check_timer(timer)
      __log("register timer delay=#{timer.__delay_ms} times=#{timer.__times}")
      __add_timer(TimerEntry.new(timer, :timer, timer.__delay_ms / 1000.0, timer.__times, 0, nil, false))
      true
    end

    # Takes a registered timer out (it does not fire again); true.
    def cancel_timer(timer)
      __alive
      __check_timer(timer)
      __log("cancel timer")
      __change do
        gone, kept = @timers.partition { |entry| entry.timer.equal?(timer) }
        gone.each { |entry| entry.removed = true }
        @timers = kept.freeze
      end
      true
    end

    # Stops (if running) and frees the loop; any later call raises ZMQ::Error.
    def destroy
      __alive
      @destroyed = true
      if @thread
        __wake
      else
        __close_wake
      end
      @pollers = [].freeze
      @timers = [].freeze
      nil
    end

    # Prints what the reactor does to stdout; registered items become verbose.
    def verbose=(value)
      __alive
      @verbose = (value == true)
      nil
    end

    # Writes to the wake-up pipe so a waiting loop turns at once (safe from any thread
    # and from a signal trap).
    def __wake
      w = @wake_w
      w.write_nonblock(".", exception: false) if w && !w.closed?
    rescue IOError, SystemCallError
      nil
    end

    private

    def __alive
      return unless @destroyed

      address = Kernel.instance_method(:to_s).bind_call(self)[/0x\h+/]
      raise ZMQ::Error, "ZMQ::Loop instance #{address} has been destroyed by the ZMQ framework"
    end

    def __check_timer(timer)
      raise TypeError, "wrong argument type #{timer.class} (expected ZMQ::Timer): #{timer}" unless timer.is_a?(ZMQ::Timer)
    end

    def __same_pollable?(pollable, target)
      return true if pollable.equal?(target)
      return false if pollable.is_a?(ZMQ::Socket) || target.is_a?(ZMQ::Socket)

      !pollable.closed? && !target.closed? && pollable.fileno == target.fileno
    end

    def __add_timer(entry)
      __change do
        entry.due = PollWait.now + entry.delay if @running
        @timers = (@timers + [entry]).freeze
      end
    end

    # Applies a change now on the loop's own thread (or when not running); from another
    # thread while running, queues it for the loop (Array#<< is atomic) and wakes it.
    def __change(&change)
      if @thread.nil? || @thread.equal?(Thread.current)
        change.call
        __wake if @waiting
      else
        @pending << change
        __wake
      end
    end

    def __start_turns
      @wake_r, @wake_w = IO.pipe if @wake_r.nil? || @wake_r.closed?
      @thread = Thread.current
      now = PollWait.now
      # A breaker left from the last run (a callback raised) must not stop this one.
      @timers = @timers.reject { |entry| entry.kind == :breaker }.freeze
      @timers.each { |entry| entry.due = now + entry.delay }
      @running = true
      Loop.__running_loops[self] = true
    end

    def __end_turns
      Loop.__running_loops.delete(self)
      @running = false
      @waiting = false
      @thread = nil
      __apply_pending
      __close_wake if @destroyed
    end

    def __close_wake
      [@wake_r, @wake_w].each { |io| io.close if io && !io.closed? }
      @wake_r = @wake_w = nil
    end

    def __apply_pending
      while (change = @pending.shift)
        change.call
      end
    end

    # One turn: wait for readiness or the next timer, run the due timers, then the
    # handlers of the ready items. Returns nil to go on, or start's result.
    def __turn
      __apply_pending
      return -1 if @destroyed
      return 0 if ZMQ.interrupted?

      pollers = @pollers
      unless @entries_for.equal?(pollers) # rebuilt only when the registrations change
        @entries = pollers.map { |poller| [poller.item.pollable, poller.item.__socket?, poller.events] }.freeze
        @entries_for = pollers
      end
      entries = @entries
      @waiting = true
      begin
        revents = PollWait.wait(entries, __next_due, @wake_r)
      ensure
        @waiting = false
      end
      __apply_pending
      return 0 if ZMQ.interrupted?
      return -1 if @destroyed

      # A destroyed socket: its context was terminated (zloop's poll fails and it ends).
      return 0 if pollers.each_with_index.any? { |poller, i| revents[i] == ZMQ::POLLERR && poller.item.__socket? }

      status = __run_timers
      return status if status

      __run_pollers(pollers, revents)
    end

    def __next_due
      @timers.map(&:due).compact.min
    end

    def __run_timers
      now = PollWait.now
      @timers.each do |entry|
        next if entry.removed || entry.due.nil? || entry.due > now

        if entry.kind == :breaker
          __drop_timer(entry)
          @running = false
          return -1
        end
        if entry.timer.__cancelled?
          __drop_timer(entry)
          next
        end
        entry.fired += 1
        if entry.times.positive? && entry.fired >= entry.times
          __drop_timer(entry)
        else
          entry.due = PollWait.now + entry.delay
        end
        __log("call timer handler")
        return -1 if __callback(entry.timer, :call) == false
      end
      nil
    end

    def __drop_timer(entry)
      entry.removed = true
      @timers = @timers.reject { |other| other.equal?(entry) }.freeze
    end

    def __run_pollers(pollers, revents)
      status = nil
      pollers.each_with_index do |poller, i|
        ev = revents[i]
        next if ev.zero? || poller.removed

        item = poller.item
        if item.__socket?
          # Level-triggered: an earlier handler of this turn may have read what was there.
          next if item.pollable.__destroyed?

          ev = item.pollable.events & poller.events
          next if ev.zero?
        end
        __log("call poller handler for #{item.pollable} (#{ev})")
        handler = item.handler
        results = []
        results << __callback(handler, :on_readable) if ev.anybits?(ZMQ::POLLIN)
        results << __callback(handler, :on_writable) if ev.anybits?(ZMQ::POLLOUT)
        if ev == ZMQ::POLLERR # a closed IO: report it once and stop polling it
          remove(item)
          results << __callback(handler, :on_error, ZMQ::Error.new("closed stream"))
        end
        if results.include?(false)
          status = -1
          break
        end
      end
      status
    end

    # Calls `target.name(*args)`. An exception goes to target.on_error (and out of start
    # if that raises), after a breaker is scheduled, so the loop stops soon in any case.
    # Returns the callback's result (false stops the loop).
    def __callback(target, name, *args)
      target.__send__(name, *args)
    rescue Exception => e # rubocop:disable Lint/RescueException -- rbczmq hands every exception to on_error
      __add_timer(TimerEntry.new(nil, :breaker, BREAKER_DELAY, 1, 0, nil, false))
      target.on_error(e)
      nil
    end

    def __log(text)
      return unless @verbose

      $stdout.write("#{Time.now.strftime('%y-%m-%d %H:%M:%S')} I: zloop: #{text}\n")
      $stdout.flush
    end
  end

  # ZMQ.interrupted! also wakes running loops, so they end at once (not at their next
  # timer or event).
  module LoopInterruptWake
    def interrupted!
      result = super
      ZMQ::Loop.__wake_all
      result
    end
  end
  private_constant :LoopInterruptWake
  singleton_class.prepend(LoopInterruptWake)
end
