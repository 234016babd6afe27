# frozen_string_literal: true

# zmq-rs: the rbczmq API (require "zmq" or "rbczmq") over a pure-Rust ZeroMQ engine.
# What this file does follows rbczmq's lib/zmq.rb (see doc/compatibility.md for where
# zmq-rs differs on purpose).

# A Rubinius leftover that rbczmq sets on load; kept because programs can see it.
ENV["RBXOPT"] = "-Xrbc.db"

require "zmq/zmq_rs"
require "zmq/version"
require "socket"
require "io/wait" # IO#wait_readable, used by every blocking call (core only from Ruby 3.2)

module ZMQ
  # Object's own to_s, for the inspect of classes whose to_s means something else.
  KERNEL_TO_S = Kernel.instance_method(:to_s)
  private_constant :KERNEL_TO_S

  # Numeric constants, with libzmq 4.0.7 / czmq 2.0.1 values.
  PAIR = 0
  PUB = 1
  SUB = 2
  REQ = 3
  REP = 4
  DEALER = 5
  ROUTER = 6
  PULL = 7
  PUSH = 8
  XPUB = 9
  XSUB = 10
  STREAM = 11

  POLLIN = 1
  POLLOUT = 2
  POLLERR = 4

  HAUSNUMERO = 156_384_712
  private_constant :HAUSNUMERO
  EFSM = HAUSNUMERO + 51
  ENOCOMPATPROTO = HAUSNUMERO + 52
  ETERM = HAUSNUMERO + 53
  EMTHREAD = HAUSNUMERO + 54

  EVENT_CONNECTED = 1
  EVENT_CONNECT_DELAYED = 2
  EVENT_CONNECT_RETRIED = 4
  EVENT_LISTENING = 8
  EVENT_BIND_FAILED = 16
  EVENT_ACCEPTED = 32
  EVENT_ACCEPT_FAILED = 64
  EVENT_CLOSED = 128
  EVENT_CLOSE_FAILED = 256
  EVENT_DISCONNECTED = 512
  EVENT_ALL = 2047

  # The live context of this process, or nil (the registry is keyed by pid, so a forked
  # child starts without one).
  def self.context
    (@__zmq_ctx_process ||= {})[Process.pid]
  end

  # A memoised ZMQ::Loop (rbczmq's own version always raised ArgumentError).
  def self.loop
    @loop ||= ZMQ::Loop.new
  end

  # A memoised Resolv::DNS, used for the SRV step of Socket#bind/#connect.
  def self.resolver
    require "resolv"
    @resolver ||= Resolv::DNS.new
  end

  def self.Frame(data = nil) # rubocop:disable Naming/MethodName
    ZMQ::Frame.new(data)
  end

  def self.Message(*parts) # rubocop:disable Naming/MethodName
    msg = ZMQ::Message.new
    parts.each { |part| msg.addstr(part) }
    msg
  end

  def self.Pollitem(pollable, events = nil) # rubocop:disable Naming/MethodName
    ZMQ::Pollitem.new(pollable, events)
  end

  # Polls sockets/IOs like IO.select; the timeout is in seconds, nil does not block.
  # Always returns [readables, writables, []].
  def self.select(read = [], write = [], _error = [], timeout = nil)
    poller = ZMQ::Poller.new
    read&.each { |item| poller.register_readable(item) }
    write&.each { |item| poller.register_writable(item) }
    poller.poll(timeout)
    [poller.readables, poller.writables, []]
  end

  module_function

  # Writes "YY-MM-DD HH:MM:SS <str>" to the process's stdout. The text is printed
  # literally (rbczmq used it as a printf format).
  def log(str)
    raise TypeError, "wrong argument type #{ZMQ.__class_name(str)} (expected String)" unless str.is_a?(String)

    STDOUT.write("#{Time.now.strftime('%y-%m-%d %H:%M:%S')} #{str}\n")
    STDOUT.flush
    nil
  end

  # Runs a proxy between two sockets (and copies every message to `capture`), until the
  # context is terminated, then returns -1. The proxy runs without the GVL, so other
  # threads run meanwhile, and Ctrl-C raises Interrupt.
  def proxy(frontend, backend, capture = nil)
    [frontend, backend, capture].each_with_index do |sock, i|
      next if i == 2 && sock.nil?
      raise TypeError, "wrong argument type #{sock.class} (expected ZMQ::Socket): #{sock}" unless sock.is_a?(ZMQ::Socket)
    end
    ZMQ.__proxy(frontend, backend, capture)
  end

  # Ruby's name for a value's class in a type error: nil, true, false or the class.
  def self.__class_name(value)
    case value
    when nil then "nil"
    when true then "true"
    when false then "false"
    else value.class.to_s
    end
  end
end

require "zmq/context"
require "zmq/socket"
%w[monitor loop timer frame message poller pollitem logger beacon].each do |feature|
  require "zmq/#{feature}" if File.exist?(File.join(__dir__, "zmq", "#{feature}.rb"))
end
require "zmq/security"
module ZMQ
  autoload :Handler, "zmq/handler" if File.exist?(File.join(__dir__, "zmq", "handler.rb"))
  autoload :DefaultHandler, "zmq/default_handler" if File.exist?(File.join(__dir__, "zmq", "default_handler.rb"))
end
# The reactor; the same object as ZMQ::Loop.
ZL = ZMQ::Loop if defined?(ZMQ::Loop)
