# frozen_string_literal: true

module ZMQ
  class Socket
    # A ROUTER socket: receives [identity, ...] and routes replies by identity.
    class Router < ZMQ::Socket
      TYPE_STR = "ROUTER"

      def type
        ZMQ::ROUTER
      end
    end
  end
end
