# frozen_string_literal: true

module ZMQ
  class Socket
    # A PAIR socket: one peer, both directions. Only over inproc:// (as in rbczmq).
    class Pair < ZMQ::Socket
      TYPE_STR = "PAIR"
      REXP_INPROC = /inproc:\/\//.freeze # rubocop:disable Style/RegexpLiteral

      def type
        ZMQ::PAIR
      end

      def bind(endpoint)
        raise ZMQ::Error, "PAIR sockets can only listen using the inproc:// transport" unless endpoint.to_s =~ REXP_INPROC

        super
      end

      def connect(endpoint)
        raise ZMQ::Error, "PAIR sockets can only connect using the inproc:// transport" unless endpoint.to_s =~ REXP_INPROC

        super
      end
    end
  end
end
