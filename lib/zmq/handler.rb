# frozen_string_literal: true

module ZMQ
  # The base class for a pollitem's callbacks in ZMQ::Loop (rbczmq-api.md section 2.9).
  # Subclasses implement on_readable and/or on_writable; on_error re-raises by default,
  # which makes the exception come out of Loop#start. A callback returning false stops
  # the loop.
  class Handler
    attr_reader :pollitem

    def initialize(pollitem, *_args)
      raise TypeError, "#{pollitem.inspect} is not a valid ZMQ::Pollitem instance" unless ZMQ::Pollitem === pollitem

      @pollitem = pollitem
    end

    def on_readable
      raise NotImplementedError, "ZMQ handlers are expected to implement an #on_readable contract"
    end

    def on_writable
      raise NotImplementedError, "ZMQ handlers are expected to implement an #on_writable contract"
    end

    def on_error(exception)
      raise exception
    end

    # Sends through the pollitem (this overrides Object#send, as in rbczmq).
    def send(*args)
      pollitem.send(*args)
    end

    def recv
      pollitem.recv
    end
  end
end
