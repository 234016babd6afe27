# frozen_string_literal: true

module ZMQ
  class Socket
    # A PULL socket: receives fairly from its peers.
    class Pull < ZMQ::Socket
      TYPE_STR = "PULL"
      include ZMQ::DownstreamSocket

      def type
        ZMQ::PULL
      end
    end
  end
end
