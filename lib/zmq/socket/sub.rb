# frozen_string_literal: true

module ZMQ
  class Socket
    # A SUB socket: receives what it subscribed to (#subscribe).
    class Sub < ZMQ::Socket
      TYPE_STR = "SUB"
      include ZMQ::DownstreamSocket

      def type
        ZMQ::SUB
      end
    end
  end
end
