# frozen_string_literal: true

module ZMQ
  class Socket
    # A DEALER socket: load-balanced sends, fair-queued receives.
    class Dealer < ZMQ::Socket
      TYPE_STR = "DEALER"

      def type
        ZMQ::DEALER
      end
    end
  end
end
