# frozen_string_literal: true

require "logger"

module ZMQ
  # A stdlib Logger whose lines go out as messages on a PUB, PUSH or PAIR socket
  # (rbczmq-api.md section 2.13): each formatted line is one message.
  class Logger < ::Logger
    VALID_SOCKET_CLASSES = [ZMQ::Socket::Pub, ZMQ::Socket::Push, ZMQ::Socket::Pair].freeze

    # Raised (with no message) for a socket that cannot send log lines.
    class InvalidSocketError < ZMQ::Error; end

    # The Logger device: write sends the line on the socket; close does nothing.
    class LogDevice
      def initialize(socket)
        @socket = socket
      end

      def write(message)
        @socket.send(message)
      end

      def close; end

      def reopen(_log = nil)
        self
      end
    end

    def initialize(socket)
      raise InvalidSocketError unless VALID_SOCKET_CLASSES.any? { |klass| socket.is_a?(klass) }

      super(nil)
      @logdev = LogDevice.new(socket)
    end
  end
end
