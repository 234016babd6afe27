# frozen_string_literal: true

module ZMQ
  class Socket
    # A PUSH socket: sends to its peers in turn.
    class Push < ZMQ::Socket
      TYPE_STR = "PUSH"
      include ZMQ::UpstreamSocket

      def type
        ZMQ::PUSH
      end
    end
  end
end
