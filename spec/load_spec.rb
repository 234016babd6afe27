# frozen_string_literal: true

require "open3"
require "rbconfig"

RSpec.describe "loading the gem" do
  lib = File.expand_path("../lib", __dir__)

  # Loads `feature` in a fresh Ruby and reports what it defined.
  def probe(lib, feature)
    script = 'print ZMQ::Socket.method_defined?(:real_bind), " ", $LOADED_FEATURES.grep(%r{/zmq/zmq_rs\.so\z}).size'
    out, status = Open3.capture2e(RbConfig.ruby, "-I", lib, "-r", feature, "-e", script)
    expect(status).to be_success, out
    out
  end

  it "loads the native extension from lib/zmq/zmq_rs.so" do
    expect(ZMQ::Socket.method_defined?(:real_bind)).to be(true) # defined natively
    expect($LOADED_FEATURES).to include(File.join(lib, "zmq", "zmq_rs.so"))
  end

  it "defines ZMQ as a module with the rbczmq version" do
    expect(ZMQ).to be_an_instance_of(Module)
    expect(ZMQ::VERSION).to eq("1.8.1")
  end

  it "loads the extension on require 'zmq'" do
    expect(probe(lib, "zmq")).to eq("true 1")
  end

  it "loads the extension on require 'rbczmq'" do
    expect(probe(lib, "rbczmq")).to eq("true 1")
  end
end
