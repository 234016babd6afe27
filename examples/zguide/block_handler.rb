# frozen_string_literal: true

# A reactor handler that hands every event to a block, and a ZMQ::Loop (ZL) class method
# to register one: the way rbczmq programs bolt a block API onto the reactor, by
# subclassing ZMQ::Handler and reopening ZMQ::Loop.
#
#   ZL.register_readable_block(socket) { |event, pollitem| ... }
#
# The block gets :readable (or :writable) and the pollitem; what it returns is the
# callback's result, so false stops the loop as usual.

require "rbczmq"

class BlockHandler < ZMQ::Handler
  def initialize(pollitem, block)
    super
    @block = block
  end

  def on_readable
    @block.call(:readable, pollitem)
  end

  def on_writable
    @block.call(:writable, pollitem)
  end

  def on_error(exception)
    warn "#{pollitem.pollable}: #{exception.class}: #{exception.message}"
    super
  end
end

module ZMQ
  class Loop
    def self.register_readable_block(pollable, &block)
      register_readable(pollable, BlockHandler, block)
    end
  end
end
