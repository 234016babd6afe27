# frozen_string_literal: true

module ZMQ
  # A one-shot, counted or periodic timer for ZMQ::Loop (rbczmq-api.md section 2.10).
  # `delay` is in seconds (truncated to whole milliseconds), `times` how often it fires
  # (0: for ever). The loop calls `timer.call` with no arguments; a callback returning
  # false stops the loop.
  class Timer
    class << self
      def new(delay, times, proc = nil, &blk)
        callback = proc || blk
        raise ArgumentError, "no callback given!" if callback.nil?
        unless delay.is_a?(Integer) || delay.is_a?(Float)
          raise TypeError, "wrong delay type #{delay} (expected Fixnum or Float)"
        end
        raise TypeError, "wrong argument type #{ZMQ.__class_name(times)} (expected Integer)" unless times.is_a?(Integer)

        timer = allocate
        timer.__send__(:__setup, (delay * 1000).to_i, times, callback)
        timer.__send__(:initialize)
        timer
      end
    end

    # Runs the callback now with `args`; returns what it returns.
    def fire(*args)
      raise ZMQ::Error, "cannot fire timer, already cancelled!" if @cancelled

      @callback.call(*args)
    end
    alias call fire

    # Marks the timer cancelled: a loop takes it out, unfired, when it next comes due.
    def cancel
      @cancelled = true
      nil
    end

    # Called by the loop when the callback raised; re-raises (override to swallow, the
    # loop still stops).
    def on_error(exception)
      raise exception
    end

    # Loop internals: the delay in whole ms, the number of firings (0: for ever) and
    # whether `cancel` was called.
    def __delay_ms
      @delay_ms
    end

    def __times
      @times
    end

    def __cancelled?
      @cancelled
    end

    private

    def __setup(delay_ms, times, callback)
      @delay_ms = delay_ms
      @times = times
      @callback = callback
      @cancelled = false
    end
  end
end
