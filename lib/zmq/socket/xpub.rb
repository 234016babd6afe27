# frozen_string_literal: true

module ZMQ
  class Socket
    # An XPUB socket: a PUB that also receives subscription messages.
    class XPub < ZMQ::Socket
      TYPE_STR = "XPUB"

      def type
        ZMQ::XPUB
      end
    end
  end
end
