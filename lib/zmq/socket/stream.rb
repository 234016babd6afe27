# frozen_string_literal: true

module ZMQ
  class Socket
    # A STREAM socket: raw TCP; receives [identity, data], replies with sendm(identity) + send(data).
    class Stream < ZMQ::Socket
      TYPE_STR = "STREAM"

      def type
        ZMQ::STREAM
      end
    end
  end
end
