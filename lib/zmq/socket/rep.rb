# frozen_string_literal: true

module ZMQ
  class Socket
    # A REP socket: receive a request, then send its reply, in strict turn.
    class Rep < ZMQ::Socket
      TYPE_STR = "REP"
      EFSM_MESSAGE = "REP sockets allows only an alternating sequence of receive and subsequent send calls. Please assert that you're not sending / receiving out of band data when using the REQ / REP socket pairs."
      private_constant :EFSM_MESSAGE

      def type
        ZMQ::REP
      end

      def sendm(*)
        raise ZMQ::Error, "API sendm not supported for REP sockets!"
      end

      def send_frame(frame, flags = 0)
        raise ZMQ::Error, "cannot send multiple frames on REP sockets" if flags.is_a?(Integer) && flags.anybits?(ZMQ::Frame::MORE)

        super
      end

      %i[send send_message recv recv_nonblock recv_frame recv_frame_nonblock recv_message].each do |name|
        define_method(name) do |*args|
          super(*args)
        rescue SystemCallError => e
          raise e unless e.errno == ZMQ::EFSM

          raise ZMQ::Error, EFSM_MESSAGE
        end
      end
    end
  end
end
