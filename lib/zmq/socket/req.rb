# frozen_string_literal: true

module ZMQ
  class Socket
    # A REQ socket: send a request, then receive its reply, in strict turn.
    class Req < ZMQ::Socket
      TYPE_STR = "REQ"
      EFSM_MESSAGE = "REQ sockets allows only an alternating sequence of send and receive calls. Please assert that you're not sending / receiving out of band data when using the REQ / REP socket pairs."
      private_constant :EFSM_MESSAGE
      include ZMQ::Socket::RequestReply

      def type
        ZMQ::REQ
      end
    end
  end
end
