# frozen_string_literal: true

module ZMQ
  class Socket
    # Included by REQ and REP, which send and receive in strict turn: one frame a
    # message, no sendm, and an EFSM (a call out of turn) raised as a ZMQ::Error with the
    # class's EFSM_MESSAGE. The class sets TYPE_STR and EFSM_MESSAGE before including it.
    module RequestReply
      EFSM_METHODS = %i[send send_message recv recv_nonblock recv_frame recv_frame_nonblock recv_message].freeze

      def self.included(klass)
        type = klass.const_get(:TYPE_STR)
        efsm_message = klass.const_get(:EFSM_MESSAGE)
        sendm_message = "API sendm not supported for #{type} sockets!"
        more_message = "cannot send multiple frames on #{type} sockets"

        klass.send(:define_method, :sendm) { |*| raise ZMQ::Error, sendm_message }

        klass.send(:define_method, :send_frame) do |frame, flags = 0|
          raise ZMQ::Error, more_message if flags.is_a?(Integer) && flags.anybits?(ZMQ::Frame::MORE)

          super(frame, flags)
        end

        EFSM_METHODS.each do |name|
          klass.send(:define_method, name) do |*args|
            super(*args)
          rescue SystemCallError => e
            raise e unless e.errno == ZMQ::EFSM

            raise ZMQ::Error, efsm_message
          end
        end
      end
    end
  end
end
