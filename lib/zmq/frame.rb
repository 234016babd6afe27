# frozen_string_literal: true

module ZMQ
  # One message part: binary data plus a "more" flag (rbczmq-api.md section 2.4).
  # A frame is owned by Ruby on its own, or belongs to one ZMQ::Message; it is gone once
  # sent (without REUSE), destroyed, or when its message was sent or destroyed.
  class Frame
    include Comparable

    MORE = 1
    REUSE = 2
    DONTWAIT = 4

    GONE_MESSAGE = "Cannot access frame that belongs to another message or is gone."
    EMPTY_PROPERTIES = {}.freeze
    private_constant :GONE_MESSAGE, :EMPTY_PROPERTIES

    class << self
      # A frame holding a copy of `data` (empty for nil). A subclass still gets a Frame.
      def new(data = nil)
        unless data.nil? || data.is_a?(String)
          raise TypeError, "wrong argument type #{ZMQ.__class_name(data)} (expected String)"
        end

        ZMQ::Frame.allocate.tap { |f| f.__send__(:__setup, data ? data.b : "".b, false) }
      end

      # A received frame (data is already a fresh binary String; properties a frozen
      # Hash of its connection's metadata, or nil).
      def __received(data, more, properties = nil)
        ZMQ::Frame.allocate.tap { |f| f.__send__(:__setup, data, more, properties) }
      end
    end

    # Ruby's default form (#<ZMQ::Frame:0x00007f...>), as for rbczmq's C objects: without
    # the instance variables a Ruby object's default inspect would list.
    def inspect
      KERNEL_TO_S.bind_call(self)
    end

    # Byte count, or nil if gone.
    def size
      @__data&.bytesize
    end

    # The bytes (ASCII-8BIT), or nil if gone.
    def data
      @__data&.dup
    end

    def to_s
      data
    end

    def to_str
      data
    end

    def strhex
      @__data&.unpack1("H*")&.upcase
    end

    # Whether the frame was received with more parts following; nil if gone.
    def more?
      @__data ? @__more : nil
    end

    def dup
      ZMQ::Frame.new(__live_data)
    end

    # A property of the connection the frame was received on, as libzmq's
    # zmq_msg_gets reports it: "User-Id" (what the ZAP handler said about the peer),
    # any metadata the ZAP handler added, the peer's "Socket-Type" and "Identity", and
    # "Peer-Address". Names ignore case. nil when the frame has no such property: a
    # frame made locally, or received over a connection without PLAIN, CURVE or ZAP.
    def meta(name)
      name = name.to_s
      properties.each { |key, value| return value if key.casecmp?(name) }
      nil
    end
    alias gets meta

    # Every connection property of a received frame (a frozen Hash, empty for a frame
    # made locally).
    def properties
      @__properties || EMPTY_PROPERTIES
    end

    # Compares with `str` read as a C string (up to its first NUL).
    def data_equals?(str)
      raise TypeError, "wrong argument type #{ZMQ.__class_name(str)} (expected String)" unless str.is_a?(String)

      mine = __live_data
      other = str.b
      nul = other.index("\0")
      other = other[0, nul] if nul
      mine.bytesize == other.bytesize && mine == other
    end

    def ==(other)
      return __live_data && true if equal?(other)

      __check_frame(other)
      mine = __live_data
      theirs = other.__send__(:__live_data)
      mine.bytesize == theirs.bytesize && mine == theirs
    end
    alias eql? ==

    # Compares sizes only: Frame("message") > Frame("msg").
    def <=>(other)
      return (__live_data && 0) if equal?(other)

      __check_frame(other)
      __live_data.bytesize <=> other.__send__(:__live_data).bytesize
    end

    # Writes "<prefix>[size] content" to stderr: text up to 70 chars, binary as up to 35
    # bytes of upper-case hex, "..." when cut.
    def print(prefix = nil)
      unless prefix.nil? || prefix.is_a?(String)
        raise TypeError, "wrong argument type #{ZMQ.__class_name(prefix)} (expected String)"
      end

      $stderr.write("#{prefix}#{__dump_line}\n")
      nil
    end
    alias dump print

    # Replaces the content.
    def reset(str)
      raise TypeError, "wrong argument type #{ZMQ.__class_name(str)} (expected String)" unless str.is_a?(String)

      __live_data
      @__data = str.b
      nil
    end

    def destroy
      __live_data
      @__owner&.__send__(:__forget, self)
      __gone!
      nil
    end

    def gone?
      @__data.nil?
    end

    # The bytes to send; the frame must be owned on its own (not in a message, not gone).
    def __data_for_send
      raise ZMQ::Error, GONE_MESSAGE if @__data.nil? || @__owner

      @__data
    end

    # Called by Message when it takes the frame.
    def __adopt(message)
      raise ZMQ::Error, GONE_MESSAGE if @__data.nil? || @__owner

      @__owner = message
    end

    # Called by Message when it hands the frame back.
    def __release
      @__owner = nil
    end

    def __gone!
      @__data = nil
      @__owner = nil
    end

    # "[005] hello" (the line Frame#print and Message#print write).
    def __dump_line
      data = __live_data
      binary = data.each_byte.any? { |b| b < 9 || b > 127 }
      body = if binary
               hex = data.byteslice(0, 35).unpack1("H*").upcase
               data.bytesize > 35 ? "#{hex}..." : hex
             else
               data.bytesize > 70 ? "#{data.byteslice(0, 70)}..." : data
             end
      format("[%03d] ", data.bytesize) + body
    end

    private

    def __setup(data, more, properties = nil)
      @__data = data
      @__more = more
      @__owner = nil
      @__properties = properties
    end

    def __live_data
      raise ZMQ::Error, GONE_MESSAGE if @__data.nil?

      @__data
    end

    def __check_frame(other)
      raise TypeError, "wrong argument type #{other.class} (expected ZMQ::Frame): #{other}" unless other.is_a?(ZMQ::Frame)
    end
  end
end
