# frozen_string_literal: true

require_relative "support/zmq_helpers"
require "tmpdir"

RSpec.describe ZMQ::Auth do
  # A CURVE PULL server; returns [socket, endpoint].
  def curve_pull(server_cert, domain = nil)
    pull = ctx.socket(:PULL)
    pull.curve_server = true
    pull.zap_domain = domain if domain # before bind: a listener takes the options then
    server_cert.apply(pull)
    [pull, "tcp://127.0.0.1:#{pull.bind('tcp://127.0.0.1:*')}"]
  end

  # Whether a CURVE client with `cert` gets a message through to `pull`.
  def curve_delivers?(pull, endpoint, server_cert, cert = ZMQ::Cert.new, ms = 400)
    push = ctx.socket(:PUSH)
    cert.apply(push)
    push.curve_serverkey = server_cert.public_key
    push.connect(endpoint)
    push.sndtimeo = ms
    push.send("probe #{cert.public_key}")
    got = recv_within(pull, ms)
    push.close
    got == "probe #{cert.public_key}"
  end

  def plain_delivers?(pull, endpoint, user, password, ms = 400)
    push = plain_client(:PUSH, endpoint, user, password)
    push.sndtimeo = ms
    push.send("probe")
    got = recv_within(pull, ms)
    push.close
    got == "probe"
  end

  # A PLAIN server socket bound to an ephemeral port, and its endpoint.
  def plain_server(type = :PULL)
    server = ctx.socket(type)
    server.plain_server = true
    [server, "tcp://127.0.0.1:#{server.bind('tcp://127.0.0.1:*')}"]
  end

  def plain_client(type, endpoint, user, password)
    client = ctx.socket(type)
    client.plain_username = user
    client.plain_password = password
    client.connect(endpoint)
    client
  end

  let(:server_cert) { ZMQ::Cert.new }

  it "runs one per context, stops idempotently, and shows no credentials in inspect" do
    auth = described_class.new(ctx)
    expect(auth.running?).to be(true)
    expect(auth.context).to be(ctx)
    auth.configure_plain(passwords: { "admin" => "hunter2" })
    expect(auth.inspect).to eq("#<ZMQ::Auth running>")
    expect { described_class.new(ctx) }.to raise_error(ZMQ::Error, /one ZMQ::Auth per context/)
    expect(auth.stop).to be_nil
    expect(auth.stop).to be_nil
    expect(auth.running?).to be(false)
    expect(auth.inspect).to eq("#<ZMQ::Auth stopped>")
    expect { auth.allow("127.0.0.1") }.to raise_error(ZMQ::Error, /stopped/)
    described_class.new(ctx).stop # the endpoint is free again
  end

  it "defaults to the process's context, and stops at the end of a block" do
    ctx
    described_class.new do |auth|
      expect(auth.context).to be(ctx)
      expect(auth.running?).to be(true)
      @auth = auth
    end
    expect(@auth.running?).to be(false)
  end

  it "refuses bad arguments" do
    ZMQ.context&.destroy
    expect { described_class.new }.to raise_error(ZMQ::Error, /no ZMQ::Context/)
    expect { described_class.new("ctx") }.to raise_error(TypeError, /expected ZMQ::Context/)
    auth = described_class.new(ctx)
    expect { auth.allow("localhost") }.to raise_error(ArgumentError, /not an IP address/)
    expect { auth.deny(42) }.to raise_error(TypeError)
    expect { auth.configure_plain }.to raise_error(ArgumentError, /passwords: .* or file:/)
    expect { auth.configure_plain(passwords: {}, file: "x") }.to raise_error(ArgumentError, /not both/)
    expect { auth.configure_plain(passwords: [["u", "p"]]) }.to raise_error(TypeError, /expected Hash/)
    expect { auth.configure_plain(passwords: { "u" => 1 }) }.to raise_error(TypeError)
    expect { auth.configure_plain(passwords: { "u" => "p" * 256 }) }.to raise_error(ArgumentError, /at most 255 bytes/)
    expect { auth.configure_plain(file: "/nonexistent/passwords") }.to raise_error(Errno::ENOENT)
    expect { auth.configure_curve("/nonexistent/certs") }.to raise_error(ArgumentError, /no such certificate directory/)
    expect { auth.configure_curve(["short"]) }.to raise_error(ArgumentError, /CURVE public key must be/)
    expect { auth.configure_curve(42) }.to raise_error(TypeError)
    expect { auth.configure_curve(:dom, "*") }.to raise_error(TypeError)
  ensure
    auth&.stop
  end

  describe "CURVE" do
    it "refuses every client key until configured, then allows listed keys only" do
      auth = described_class.new(ctx)
      pull, endpoint = curve_pull(server_cert)
      friend = ZMQ::Cert.new
      expect(curve_delivers?(pull, endpoint, server_cert, friend)).to be(false)
      auth.configure_curve("*", [friend.public_key])
      expect(curve_delivers?(pull, endpoint, server_cert, friend)).to be(true)
      expect(curve_delivers?(pull, endpoint, server_cert)).to be(false)
    ensure
      auth&.stop
    end

    it "allows any key with CURVE_ALLOW_ANY" do
      auth = described_class.new(ctx).configure_curve(ZMQ::Auth::CURVE_ALLOW_ANY)
      pull, endpoint = curve_pull(server_cert)
      expect(curve_delivers?(pull, endpoint, server_cert)).to be(true)
    ensure
      auth&.stop
    end

    it "reads the public certificates of a directory (recursively, skipping secret and other files)" do
      Dir.mktmpdir do |dir|
        friend = ZMQ::Cert.new
        nested = ZMQ::Cert.new
        only_secret = ZMQ::Cert.new
        friend.save(File.join(dir, "friend.key")) # also friend.key_secret, skipped
        Dir.mkdir(File.join(dir, "more"))
        nested.save_public(File.join(dir, "more", "nested.key"))
        only_secret.save_secret(File.join(dir, "lonely.key_secret"))
        File.write(File.join(dir, "README"), "not a certificate\n")
        auth = described_class.new(ctx).configure_curve(dir)
        pull, endpoint = curve_pull(server_cert)
        expect(curve_delivers?(pull, endpoint, server_cert, friend)).to be(true)
        expect(curve_delivers?(pull, endpoint, server_cert, nested)).to be(true)
        expect(curve_delivers?(pull, endpoint, server_cert, only_secret)).to be(false)
      ensure
        auth&.stop
      end
    end

    it "checks the IP allow and deny lists before the key" do
      auth = described_class.new(ctx).configure_curve(ZMQ::Auth::CURVE_ALLOW_ANY)
      pull, endpoint = curve_pull(server_cert)
      auth.allow("10.9.8.7")
      expect(curve_delivers?(pull, endpoint, server_cert)).to be(false)
      auth.allow("127.0.0.1")
      expect(curve_delivers?(pull, endpoint, server_cert)).to be(true)
      auth.deny("127.0.0.1")
      expect(curve_delivers?(pull, endpoint, server_cert)).to be(false)
    ensure
      auth&.stop
    end

    it "uses the socket's ZAP domain to pick the key list" do
      friend = ZMQ::Cert.new
      auth = described_class.new(ctx).configure_curve("inner", [friend])
      pull, endpoint = curve_pull(server_cert, "inner")
      expect(curve_delivers?(pull, endpoint, server_cert, friend)).to be(true)
      other, other_endpoint = curve_pull(server_cert, "outer")
      expect(curve_delivers?(other, other_endpoint, server_cert, friend)).to be(false)
    ensure
      auth&.stop
    end

    it "is not collected while running: a dropped authenticator keeps refusing" do
      described_class.new(ctx).configure_curve([])
      GC.start
      GC.start
      pull, endpoint = curve_pull(server_cert)
      expect(curve_delivers?(pull, endpoint, server_cert)).to be(false)
    end
  end

  describe "PLAIN" do
    it "checks usernames and passwords from a Hash" do
      auth = described_class.new(ctx)
      pull, endpoint = plain_server
      expect(plain_delivers?(pull, endpoint, "admin", "s3cret")).to be(false)
      auth.configure_plain(passwords: { admin: "s3cret", "bob" => "pw=with=equals" })
      expect(plain_delivers?(pull, endpoint, "admin", "s3cret")).to be(true)
      expect(plain_delivers?(pull, endpoint, "bob", "pw=with=equals")).to be(true)
      expect(plain_delivers?(pull, endpoint, "admin", "wrong")).to be(false)
      expect(plain_delivers?(pull, endpoint, "eve", "s3cret")).to be(false)
    ensure
      auth&.stop
    end

    it "reads czmq's password file format" do
      Dir.mktmpdir do |dir|
        file = File.join(dir, "passwords")
        File.write(file, "# users\nadmin=s3cret\nbob=pw=x\n=nouser\nnot a line\n")
        expect(described_class.__password_file(file)).to eq([%w[admin s3cret], %w[bob pw=x]])
        auth = described_class.new(ctx).configure_plain("*", file: file)
        pull, endpoint = plain_server
        expect(plain_delivers?(pull, endpoint, "admin", "s3cret")).to be(true)
        expect(plain_delivers?(pull, endpoint, "bob", "pw=x")).to be(true)
        expect(plain_delivers?(pull, endpoint, "admin", "nope")).to be(false)
      ensure
        auth&.stop
      end
    end
  end

  describe "what received frames say about their sender" do
    it "gives a PLAIN peer's user id, socket type and address, on every part" do
      auth = described_class.new(ctx).configure_plain(passwords: { "admin" => "s3cret" })
      pull, endpoint = plain_server
      push = plain_client(:PUSH, endpoint, "admin", "s3cret")
      push.sendm("head")
      push.send("tail")
      frames = pull.recv_message.to_a
      expect(frames.map(&:data)).to eq(%w[head tail])
      frames.each do |frame|
        expect(frame.meta("User-Id")).to eq("admin")
        expect(frame.gets("user-id")).to eq("admin")
        expect(frame.meta(:"Socket-Type")).to eq("PUSH")
        expect(frame.meta("Peer-Address")).to eq("127.0.0.1")
        expect(frame.meta("No-Such-Property")).to be_nil
      end
      expect(frames.first.properties).to be_frozen
      expect(frames.first.properties).to include("User-Id" => "admin")
    ensure
      auth&.stop
    end

    it "keeps them on a REP socket's requests (the envelope is taken off)" do
      auth = described_class.new(ctx).configure_plain(passwords: { "admin" => "s3cret" })
      rep, endpoint = plain_server(:REP)
      rep.rcvtimeo = 5000
      plain_client(:REQ, endpoint, "admin", "s3cret").send("question")
      frame = rep.recv_frame
      expect(frame.data).to eq("question")
      expect([frame.meta("User-Id"), frame.meta("Socket-Type")]).to eq(%w[admin REQ])
    ensure
      auth&.stop
    end

    it "gives a CURVE peer's public key as its user id" do
      auth = described_class.new(ctx).configure_curve(ZMQ::Auth::CURVE_ALLOW_ANY)
      pull, endpoint = curve_pull(server_cert)
      client = ZMQ::Cert.new
      push = ctx.socket(:PUSH)
      client.apply(push)
      push.curve_serverkey = server_cert.public_key
      push.connect(endpoint)
      push.send("signed")
      frame = pull.recv_frame
      expect(frame.data).to eq("signed")
      expect(frame.meta("User-Id")).to eq(client.public_key)
    ensure
      auth&.stop
    end

    it "carries what a hand-written ZAP handler says: its user id and its own properties" do
      handler = ctx.socket(:REP)
      handler.bind("inproc://zeromq.zap.01")
      # ZMTP metadata: name length, name, 4-byte value length, value.
      tenant = ["X-Tenant".bytesize].pack("C") + "X-Tenant" + ["acme".bytesize].pack("N") + "acme"
      answering = Thread.new do
        request = handler.recv_message.to_a.map(&:data)
        # version, request id, domain, address, routing id, mechanism, credentials...
        reply = ZMQ::Message.new
        ["1.0", request[1], "200", "OK", "user-#{request[6]}", tenant].each { |part| reply.addstr(part) }
        handler.send_message(reply)
        request
      end
      pull, endpoint = plain_server
      plain_client(:PUSH, endpoint, "carol", "anything").send("order")
      frame = pull.recv_frame
      request = answering.value
      expect(request.values_at(0, 5, 6, 7)).to eq(%w[1.0 PLAIN carol anything])
      expect(frame.data).to eq("order")
      expect(frame.meta("User-Id")).to eq("user-carol")
      expect(frame.meta("x-tenant")).to eq("acme")
    ensure
      answering&.join(5)
    end

    it "has no properties on plain connections or on frames made locally" do
      pull = ctx.socket(:PULL)
      port = pull.bind("tcp://127.0.0.1:*")
      push = ctx.socket(:PUSH)
      push.connect("tcp://127.0.0.1:#{port}")
      push.send("open")
      frame = pull.recv_frame
      expect(frame.data).to eq("open")
      expect(frame.meta("User-Id")).to be_nil
      expect(frame.properties).to eq({})
      expect(ZMQ::Frame.new("local").properties).to eq({})
    end
  end
end
