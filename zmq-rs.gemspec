# frozen_string_literal: true

require_relative "lib/zmq/version"

Gem::Specification.new do |s|
  s.name        = "zmq-rs"
  s.version     = ZMQ::GEM_VERSION
  s.summary     = "ZeroMQ for Ruby with the rbczmq API, on a pure-Rust engine"
  s.description = "A drop-in replacement for the rbczmq gem (require 'rbczmq' or 'zmq'). " \
                  "Its native extension is written in Rust: a ZMTP 3 engine with tcp, ipc " \
                  "and inproc transports, with no libzmq or czmq underneath. Building it " \
                  "needs Rust (cargo) and libclang."
  s.authors     = ["zmq-rs contributors"]
  s.license     = "MIT"
  s.required_ruby_version = ">= 3.1"

  # The Ruby code, and everything cargo needs to build the extension at install time:
  # the workspace manifest and lock file and both crates (sources, tests, benches).
  # Build output (cargo target dirs, Makefiles, .so files) is left out.
  s.files = Dir.chdir(__dir__) do
    Dir.glob(["lib/**/*.rb", "ext/**/*", ".cargo/config.toml", "Cargo.toml", "Cargo.lock", "README.md", "zmq-rs.gemspec"])
       .select { |path| File.file?(path) }
       .reject { |path| path.split("/").include?("target") }
       .reject { |path| path.match?(%r{\Aext/[^/]+/(Makefile|mkmf\.log)\z|\.(so|o|bundle|dll)\z}) }
       .sort
  end
  s.require_paths = ["lib"]
  s.extensions    = ["ext/zmq_rs/extconf.rb"]
end
