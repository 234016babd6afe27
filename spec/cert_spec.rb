# frozen_string_literal: true

require_relative "support/zmq_helpers"
require "tmpdir"
require "pp"

RSpec.describe ZMQ::Cert do
  around { |example| Dir.mktmpdir("zmq-cert-spec-") { |dir| @dir = dir; example.run } }

  let(:path) { File.join(@dir, "mycert.txt") }

  it "generates a fresh key pair, the public key derived from the secret" do
    a = described_class.new
    b = described_class.generate
    expect(a.public_key.size).to eq(40)
    expect(a.secret_key.size).to eq(40)
    expect(ZMQ.curve_public(a.secret_key)).to eq(a.public_key)
    expect(a.public_key(format: :binary).bytesize).to eq(32)
    expect(a.secret_key(format: :binary)).to eq(ZMQ.z85_decode(a.secret_key))
    expect(a).not_to eq(b)
    expect(a.secret?).to be(true)
  end

  it "is made from keys given as Z85 or 32 bytes, or from a secret key alone" do
    public_key, secret_key = ZMQ.curve_keypair
    expect(described_class.new(public_key, secret_key).secret_key).to eq(secret_key)
    expect(described_class.new(ZMQ.z85_decode(public_key), ZMQ.z85_decode(secret_key)).public_key).to eq(public_key)
    expect(described_class.new(nil, secret_key).public_key).to eq(public_key)
    public_only = described_class.new(public_key)
    expect(public_only.secret?).to be(false)
    expect(public_only.secret_key).to be_nil
  end

  it "refuses bad keys clearly, without showing them" do
    public_key, secret_key = ZMQ.curve_keypair
    expect { described_class.new("short") }.to raise_error(ArgumentError, "CURVE public key must be 40 Z85 characters or 32 bytes (got 5 bytes)")
    expect { described_class.new(public_key, "#{secret_key[0, 39]}~") }.to raise_error(ArgumentError) { |e|
      expect(e.message).to eq("CURVE secret key is not valid Z85")
    }
    other_secret = ZMQ.curve_keypair[1]
    expect { described_class.new(public_key, other_secret) }.to raise_error(ArgumentError) { |e|
      expect(e.message).to eq("the CURVE secret key does not belong to the public key")
      expect(e.message).not_to include(other_secret)
    }
    expect { described_class.new(42) }.to raise_error(TypeError)
    expect { described_class.new.public_key(format: :hex) }.to raise_error(ArgumentError, /unknown key format/)
  end

  it "keeps metadata as Strings" do
    cert = described_class.generate(name: "Pieter", "email" => "ph@imatix.com")
    cert["version"] = 1
    expect(cert["name"]).to eq("Pieter")
    expect(cert[:version]).to eq("1")
    expect(cert.meta_keys).to contain_exactly("name", "email", "version")
    cert["version"] = nil
    expect(cert.meta).to eq("name" => "Pieter", "email" => "ph@imatix.com")
    cert.meta["x"] = "y" # a copy
    expect(cert["x"]).to be_nil
    expect { cert["bad name"] = "x" }.to raise_error(ArgumentError, /invalid certificate metadata name/)
    expect { cert["/x"] = "x" }.to raise_error(ArgumentError)
    expect { cert["x"] = "two\nlines" }.to raise_error(ArgumentError, /one line/)
  end

  it "never shows the secret key in inspect, to_s, pp or Marshal" do
    cert = described_class.generate(name: "n")
    # Z85 keys may hold "#@", "#$" or "#{", which String#inspect escapes: look for each
    # key both as it is and as inspect shows it.
    shown = ->(key) { key.inspect[1..-2] }
    secret = cert.secret_key
    [cert.inspect, cert.to_s, PP.pp(cert, +""), [cert].inspect, { c: cert }.to_s].each do |text|
      expect(text).to include(shown.(cert.public_key))
      expect(text).not_to include(secret)
      expect(text).not_to include(shown.(secret))
    end
    expect(cert.inspect).to eq(%(#<ZMQ::Cert public_key=#{cert.public_key.inspect} meta={"name"=>"n"}>))
    expect { Marshal.dump(cert) }.to raise_error(TypeError, /not dumped/)
  end

  it "saves czmq's zcert files: the public one, and the secret one readable by the owner only" do
    cert = described_class.generate(name: "Pieter Hintjens", organization: "iMatix Corporation")
    expect(cert.save(path)).to eq(path)
    public_text = File.read(path)
    secret_text = File.read("#{path}_secret")
    expect(public_text).to match(/\A#   \*\*\*\*  Generated on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d by zmq-rs  \*\*\*\*\n/)
    expect(public_text).to end_with(<<~ZPL)
      #   ZeroMQ CURVE Public Certificate
      #   Exchange securely, or use a secure mechanism to verify the contents
      #   of this file after exchange. Store public certificates in your home
      #   directory, in the .curve subdirectory.

      metadata
          name = "Pieter Hintjens"
          organization = "iMatix Corporation"
      curve
          public-key = "#{cert.public_key}"
    ZPL
    expect(public_text).not_to include(cert.secret_key)
    expect(secret_text).to end_with(<<~ZPL)
      #   ZeroMQ CURVE **Secret** Certificate
      #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

      metadata
          name = "Pieter Hintjens"
          organization = "iMatix Corporation"
      curve
          public-key = "#{cert.public_key}"
          secret-key = "#{cert.secret_key}"
    ZPL
    expect(File.stat("#{path}_secret").mode & 0o777).to eq(0o600)
  end

  it "tightens an existing secret file's mode when saving over it" do
    File.write("#{path}_secret", "old")
    File.chmod(0o644, "#{path}_secret")
    described_class.new.save(path)
    expect(File.stat("#{path}_secret").mode & 0o777).to eq(0o600)
  end

  it "loads what it saved: the secret file when there is one, else the public one" do
    cert = described_class.generate(name: "x", quote: %(say "hi"))
    cert.save(path)
    loaded = described_class.load(path)
    expect(loaded).to eq(cert)
    expect(loaded.meta).to eq(cert.meta)
    File.delete("#{path}_secret")
    public_only = described_class.load(path)
    expect(public_only.public_key).to eq(cert.public_key)
    expect(public_only.secret?).to be(false)
    expect(public_only).not_to eq(cert)
  end

  it "loads czmq-written certificates, including a public one with czmq's all-zero secret" do
    public_key, secret_key = ZMQ.curve_keypair
    File.write(path, <<~ZPL)
      #   ****  Generated on 2015-01-01 10:00:00 by CZMQ  ****
      #   ZeroMQ CURVE **Secret** Certificate

      metadata
          email = "ph@imatix.com"   # a trailing comment
          bare = unquoted value # comment
          empty
      curve
          public-key = "#{public_key}"
          secret-key = '#{secret_key}'
    ZPL
    cert = described_class.load(path)
    expect(cert.secret_key).to eq(secret_key)
    expect(cert.meta).to eq("email" => "ph@imatix.com", "bare" => "unquoted value", "empty" => "")
    File.write(path, "curve\n    public-key = \"#{public_key}\"\n    secret-key = \"#{'0' * 40}\"\n")
    expect(described_class.load(path).secret?).to be(false)
  end

  it "raises on a missing file and on files that are not certificates, without quoting them" do
    expect { described_class.load(File.join(@dir, "nope")) }.to raise_error(Errno::ENOENT)
    secret = ZMQ.curve_keypair[1]
    {
      "metadata\n   bad = \"indent\"\n" => /line 2: indent by 4 spaces at once/,
      "curve\n    public-key = \"unterminated\n" => /line 2: missing "/,
      "curve\n        public-key = \"x\"\n" => /line 2: indentation error/,
      "metadata\n" => /not a CURVE certificate/,
      "curve\n    public-key = \"#{secret[0, 20]}\"\n" => /not a CURVE certificate/,
      "curve\n    public-key = \"#{ZMQ.curve_keypair[0]}\"\n    secret-key = \"#{secret}\"\n" => /does not belong/,
      "\xFF\xFE".b => /not a text file/
    }.each do |text, error|
      File.binwrite(path, text)
      expect { described_class.load(path) }.to raise_error(ZMQ::Error, error) { |e|
        expect(e.message).not_to include(secret[0, 20])
      }
    end
  end

  it "applies its keys to a socket; a public certificate cannot be applied" do
    cert = described_class.new
    sock = ctx.socket(:DEALER)
    expect(cert.apply(sock)).to be(cert)
    expect(sock.curve_secretkey).to eq(cert.secret_key)
    expect(sock.curve_publickey).to eq(cert.public_key)
    expect { described_class.new(cert.public_key).apply(sock) }.to raise_error(ZMQ::Error, /no secret key/)
    expect { described_class.new(cert.public_key).save(path) }.to raise_error(ZMQ::Error, /save_public/)
    expect { cert.apply("socket") }.to raise_error(TypeError)
  end

  it "dups with its own metadata" do
    cert = described_class.generate(a: "1")
    copy = cert.dup
    copy["a"] = "2"
    expect(cert["a"]).to eq("1")
    expect(copy).to eq(cert)
    expect(copy.hash).to eq(cert.hash)
  end
end
