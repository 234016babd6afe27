# frozen_string_literal: true

module ZMQ
  # The handler ZL.bind/ZL.connect/ZL.register_readable use when none is given: prints
  # what it receives, and sends an empty message on every writable turn.
  class DefaultHandler < ZMQ::Handler
    def on_readable
      p(recv)
    end

    def on_writable
      send("")
    end
  end
end
