# frozen_string_literal: true

module ZMQ
  class Socket
    # An XSUB socket: a SUB whose subscriptions are sent as messages ("\x01topic").
    class XSub < ZMQ::Socket
      TYPE_STR = "XSUB"

      def type
        ZMQ::XSUB
      end
    end
  end
end
