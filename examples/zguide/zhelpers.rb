# frozen_string_literal: true

# Helpers shared by the zguide examples, in the spirit of the zguide's zhelpers: rbczmq
# programs add them by reopening ZMQ::Socket.

require "rbczmq"

module ZMQ
  class Socket
    # Receives one whole multipart message and prints it (Message#print: a line of
    # dashes, then one "[size] content" line per frame, binary frames in hex, on stderr).
    # Returns the message, or nil when nothing came before the receive timeout.
    def dump
      message = recv_message
      message&.print
      message
    end

    # Gives the socket a printable random identity, "XXXX-XXXX" in hex, and returns it.
    def random_identity!
      id = format("%04X-%04X", rand(0x10000), rand(0x10000))
      self.identity = id
      id
    end
  end
end
