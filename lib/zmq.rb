# frozen_string_literal: true

# Placeholder entry point (the binding replaces it): loads the native extension.
require "zmq/zmq_rs"
require "zmq/version"
