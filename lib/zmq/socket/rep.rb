# frozen_string_literal: true

module ZMQ
  class Socket
    # A REP socket: receive a request, then send its reply, in strict turn.
    class Rep < ZMQ::Socket
      TYPE_STR = "REP"
      EFSM_MESSAGE = "REP sockets allows only an alternating sequence of receive and subsequent send calls. Please assert that you're not sending / receiving out of band data when using the REQ / REP socket pairs."
      private_constant :EFSM_MESSAGE
      include ZMQ::Socket::RequestReply

      def type
        ZMQ::REP
      end
    end
  end
end
