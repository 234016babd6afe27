# frozen_string_literal: true

module ZMQ
  # The rbczmq release whose API this gem reproduces (rbczmq programs may check it).
  VERSION = "1.8.1"
  # This gem's own version (zmq-rs.gemspec reads it).
  GEM_VERSION = "0.1.0"
end
