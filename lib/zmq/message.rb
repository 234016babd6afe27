# frozen_string_literal: true

module ZMQ
  # A multipart message: an ordered list of ZMQ::Frames (rbczmq-api.md section 2.5).
  # Once sent or destroyed it is gone: readers return nil, changers raise TypeError.
  class Message
    include Comparable

    GONE_MESSAGE = "Cannot modify a message that is gone."
    private_constant :GONE_MESSAGE

    # Decodes czmq's format (a length byte, or 0xFF + a 4-byte big-endian length, then
    # the data, for each frame); nil for a malformed buffer.
    def self.decode(str)
      raise TypeError, "wrong argument type #{ZMQ.__class_name(str)} (expected String)" unless str.is_a?(String)

      buf = str.b
      msg = new
      pos = 0
      while pos < buf.bytesize
        len = buf.getbyte(pos)
        pos += 1
        if len == 0xFF
          return nil if pos + 4 > buf.bytesize

          len = buf.byteslice(pos, 4).unpack1("N")
          pos += 4
        end
        return nil if pos + len > buf.bytesize

        msg.addstr(buf.byteslice(pos, len))
        pos += len
      end
      msg
    end

    def initialize
      @__frames = []
      @__cursor = nil
      @__gone = false
    end

    # Ruby's default form (#<ZMQ::Frame:0x00007f...>), as for rbczmq's C objects: without
    # the instance variables a Ruby object's default inspect would list.
    def inspect
      KERNEL_TO_S.bind_call(self)
    end

    def gone?
      @__gone
    end

    def size
      @__gone ? nil : @__frames.size
    end

    def content_size
      @__gone ? nil : @__frames.sum(&:size)
    end

    # Prepends a frame; the message then owns it. Returns true.
    def push(frame)
      __adopt(frame)
      @__frames.unshift(frame)
      true
    end

    # Appends a frame; the message then owns it. Returns true.
    def add(frame)
      __adopt(frame)
      @__frames.push(frame)
      true
    end

    def pushstr(str)
      push(ZMQ::Frame.new(__string(str)))
    end

    def addstr(str)
      add(ZMQ::Frame.new(__string(str)))
    end

    # Takes the first frame out and hands it to the caller; nil when empty.
    def pop
      __changing
      frame = @__frames.shift
      frame&.__release
      frame
    end

    # Takes the first frame out and returns its data (every byte); nil when empty.
    def popstr
      frame = pop
      return nil unless frame

      data = frame.data
      frame.__gone!
      data
    end

    # Puts `frame` and an empty delimiter in front: [frame, "", ...]. Returns nil.
    def wrap(frame)
      __changing
      raise TypeError, "wrong argument type #{frame.class} (expected ZMQ::Frame): #{frame}" unless frame.is_a?(ZMQ::Frame)

      push(ZMQ::Frame.new)
      push(frame)
      nil
    end

    # Takes the first frame out (returned to the caller) and drops an empty delimiter
    # that follows it.
    def unwrap
      frame = pop
      if (delimiter = @__frames.first) && delimiter.size.zero?
        @__frames.shift
        delimiter.__gone!
      end
      frame
    end

    def first
      return nil if @__gone

      @__cursor = 0
      @__frames.first
    end

    # The frame after the cursor (the first one when the cursor is unset), or nil.
    def next
      return nil if @__gone

      @__cursor = @__cursor.nil? ? 0 : @__cursor + 1
      frame = @__frames[@__cursor]
      @__cursor = nil unless frame
      frame
    end

    def last
      return nil if @__gone

      @__cursor = @__frames.empty? ? nil : @__frames.size - 1
      @__frames.last
    end

    # Takes that Frame object out without destroying it; the caller owns it. Returns nil.
    def remove(frame)
      __alive!
      index = @__frames.index { |f| f.equal?(frame) }
      return nil unless index

      @__frames.delete_at(index)
      frame.__release
      # The cursor stays on the frame before the removed one (unset before the first).
      @__cursor -= 1 if @__cursor && index <= @__cursor
      @__cursor = nil if @__cursor&.negative?
      nil
    end

    def to_a
      __alive!
      @__frames.dup
    end

    def dup
      __alive!
      copy = ZMQ::Message.new
      @__frames.each { |f| copy.addstr(f.data) }
      copy
    end

    def destroy
      __alive!
      @__frames.each(&:__gone!)
      @__frames = []
      @__gone = true
      nil
    end

    # The czmq encoding of every frame (ASCII-8BIT).
    def encode
      return nil if @__gone

      @__frames.each_with_object("".b) do |frame, out|
        data = frame.data
        if data.bytesize < 255
          out << data.bytesize.chr
        else
          out << "\xFF".b << [data.bytesize].pack("N")
        end
        out << data
      end
    end

    def ==(other)
      __alive!
      return true if equal?(other)
      raise TypeError, "wrong argument type #{other.class} (expected ZMQ::Message): #{other}" unless other.is_a?(ZMQ::Message)
      raise TypeError, GONE_MESSAGE if other.gone?

      size == other.size && content_size == other.content_size && encode == other.encode
    end
    alias eql? ==

    # Writes a line of dashes and up to the first 10 frames to stderr.
    def print
      return nil if @__gone

      $stderr.write("#{'-' * 38}\n")
      @__frames.first(10).each { |f| $stderr.write("#{f.__dump_line}\n") }
      nil
    end

    private

    def __alive!
      raise TypeError, GONE_MESSAGE if @__gone
    end

    # For the changes after which `next` starts again at the first frame.
    def __changing
      __alive!
      @__cursor = nil
    end

    def __adopt(frame)
      __changing
      raise TypeError, "wrong argument type #{frame.class} (expected ZMQ::Frame): #{frame}" unless frame.is_a?(ZMQ::Frame)

      frame.__adopt(self)
    end

    def __string(str)
      raise TypeError, "wrong argument type #{ZMQ.__class_name(str)} (expected String)" unless str.is_a?(String)

      str
    end

    # A frame of ours was destroyed directly.
    def __forget(frame)
      @__frames.delete_if { |f| f.equal?(frame) }
      @__cursor = nil
    end
  end
end
