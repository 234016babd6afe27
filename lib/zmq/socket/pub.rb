# frozen_string_literal: true

module ZMQ
  class Socket
    # A PUB socket: sends to every subscriber whose subscription matches.
    class Pub < ZMQ::Socket
      TYPE_STR = "PUB"
      include ZMQ::UpstreamSocket

      def type
        ZMQ::PUB
      end
    end
  end
end
