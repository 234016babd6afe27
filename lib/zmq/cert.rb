# frozen_string_literal: true

module ZMQ
  # A CURVE certificate: a key pair plus metadata, saved to and loaded from czmq's zcert
  # files (what czmq's zcert, cztop's Certificate and pyzmq's zmq.auth read and write).
  #
  #   cert = ZMQ::Cert.new                 # a fresh key pair
  #   cert["name"] = "backend-1"
  #   cert.save("certs/backend-1.key")     # certs/backend-1.key (public) and
  #                                        # certs/backend-1.key_secret (mode 0600)
  #   cert = ZMQ::Cert.load("certs/backend-1.key")  # the secret file if there is one
  #   cert.apply(socket)                   # curve_secretkey= and curve_publickey=
  #
  # On disk a certificate is ZPL text (ZeroMQ RFC 4) with a "metadata" section of
  # name = "value" lines and a "curve" section holding public-key and, in the secret
  # file only, secret-key, both in Z85.
  #
  # The secret key never shows in #inspect, #to_s or any error message.
  class Cert
    # czmq writes a missing secret key as 40 zeros (the Z85 of 32 zero bytes).
    NULL_KEY = ("0" * 40).freeze
    # ZPL's name characters (czmq's zconfig).
    NAME = %r{\A[A-Za-z0-9$\-_@.&+/]+\z}.freeze
    private_constant :NULL_KEY, :NAME

    # A certificate made from keys (each 40 Z85 characters or 32 bytes). With no keys it
    # holds a fresh key pair; with only a secret key, the public key is derived from it;
    # with only a public key it is a public certificate (it can be saved with
    # #save_public and used to allow a client, but not applied to a socket).
    def initialize(public_key = nil, secret_key = nil)
      if public_key.nil? && secret_key.nil?
        public_key, secret_key = ZMQ.curve_keypair
      elsif public_key.nil?
        public_key = ZMQ.curve_public(secret_key)
      end
      @public_key = ZMQ::Cert.__z85_key(public_key, "CURVE public key")
      @secret_key = secret_key && ZMQ::Cert.__z85_key(secret_key, "CURVE secret key")
      if @secret_key && ZMQ.curve_public(@secret_key) != @public_key
        raise ArgumentError, "the CURVE secret key does not belong to the public key"
      end

      @meta = {}
    end

    class << self
      # A fresh certificate; metadata may be given as keywords or a Hash.
      def generate(meta = {}, **more)
        cert = new
        meta.merge(more).each { |name, value| cert[name] = value }
        cert
      end

      # Loads a certificate saved by #save (or by czmq, cztop or pyzmq): `path` + "_secret"
      # when that file exists (both keys), else `path` (the public key only). Raises
      # Errno::ENOENT when neither exists, ZMQ::Error when the file is not a certificate.
      def load(path)
        path = path.to_path if path.respond_to?(:to_path)
        raise TypeError, "wrong argument type #{ZMQ.__class_name(path)} (expected String)" unless path.is_a?(String)

        secret_path = "#{path}_secret"
        file = File.file?(secret_path) ? secret_path : path
        from_zpl(File.read(file), file)
      end

      # A certificate from zcert (ZPL) text; `source` names it in error messages.
      def from_zpl(text, source = "certificate")
        root = ZMQ::Cert::ZPL.parse(text, source)
        curve = root.child("curve")
        public_key = curve&.child("public-key")&.value
        unless public_key && public_key.bytesize == 40
          raise ZMQ::Error, "#{source}: not a CURVE certificate (no 40-character curve/public-key)"
        end

        secret_key = curve.child("secret-key")&.value
        secret_key = nil if secret_key.nil? || secret_key.empty? || secret_key == NULL_KEY
        cert = begin
          new(public_key, secret_key)
        rescue ArgumentError => e
          raise ZMQ::Error, "#{source}: #{e.message}"
        end
        root.child("metadata")&.children&.each { |item| cert[item.name] = item.value }
        cert
      end

      # A key argument as Z85 text (frozen), or ArgumentError/TypeError saying what is
      # wrong with it (never showing it).
      def __z85_key(key, what)
        raise TypeError, "wrong argument type #{ZMQ.__class_name(key)} (expected String)" unless key.is_a?(String)

        case key.bytesize
        when 32 then ZMQ.z85_encode(key).freeze
        when 40
          begin
            ZMQ.z85_decode(key)
          rescue ArgumentError
            raise ArgumentError, "#{what} is not valid Z85"
          end
          key.b.freeze
        else
          raise ArgumentError, "#{what} must be 40 Z85 characters or 32 bytes (got #{key.bytesize} bytes)"
        end
      end
    end

    # The public key: Z85 text (format: :z85, the default) or 32 bytes (format: :binary).
    def public_key(format: :z85)
      convert(@public_key, format)
    end

    # The secret key (Z85 or, with format: :binary, 32 bytes), nil for a public
    # certificate.
    def secret_key(format: :z85)
      @secret_key && convert(@secret_key, format)
    end

    # Whether the certificate holds the secret key.
    def secret?
      !@secret_key.nil?
    end

    # A metadata value (String), or nil.
    def [](name)
      @meta[name.to_s]
    end

    # Sets a metadata value (stored as a String; nil removes it). Names are ZPL names
    # (letters, digits and $-_@.&+/); values are one line.
    def []=(name, value)
      name = name.to_s
      raise ArgumentError, "invalid certificate metadata name #{name.inspect}" unless NAME.match?(name) && !name.start_with?("/") && !name.end_with?("/")
      return @meta.delete(name) if value.nil?

      value = value.to_s
      raise ArgumentError, "certificate metadata values are one line" if value.match?(/[\r\n]/)
      raise ArgumentError, "certificate metadata value cannot hold both kinds of quote" if value.include?('"') && value.include?("'")

      @meta[name] = value.dup.freeze
    end

    # The metadata, as a new Hash.
    def meta
      @meta.dup
    end

    def meta_keys
      @meta.keys
    end

    # Saves the public certificate to `path` and the secret one to `path` + "_secret"
    # (readable by the owner only), as czmq's zcert_save. Returns `path`.
    def save(path)
      raise ZMQ::Error, "a public certificate has no secret key to save (use save_public)" unless secret?

      save_public(path)
      save_secret("#{path}_secret")
      path
    end

    # Writes the public certificate (no secret key) to `path`.
    def save_public(path)
      write(path, zpl(secret: false), 0o644, private_file: false)
    end

    # Writes the secret certificate (both keys) to `path`, mode 0600.
    def save_secret(path)
      raise ZMQ::Error, "a public certificate has no secret key to save" unless secret?

      write(path, zpl(secret: true), 0o600, private_file: true)
    end

    # The public certificate's text (what save_public writes).
    def to_zpl
      zpl(secret: false)
    end

    # Uses this certificate's keys on a socket (curve_secretkey= and curve_publickey=):
    # a CURVE client then also needs curve_serverkey=, a server curve_server = true.
    def apply(socket)
      raise TypeError, "wrong argument type #{socket.class} (expected ZMQ::Socket)" unless socket.is_a?(ZMQ::Socket)
      raise ZMQ::Error, "a public certificate cannot be applied to a socket (it has no secret key)" unless secret?

      socket.curve_secretkey = @secret_key
      socket.curve_publickey = @public_key
      self
    end

    # Same keys (and so the same certificate, whatever its metadata).
    def ==(other)
      other.is_a?(ZMQ::Cert) && other.public_key == @public_key && other.secret_key == @secret_key
    end
    alias eql? ==

    def hash
      [self.class, @public_key].hash
    end

    def initialize_copy(source)
      super
      @meta = source.meta
    end

    def inspect
      "#<#{self.class} public_key=#{@public_key.inspect}#{' (public only)' unless secret?}" \
        "#{" meta=#{@meta.inspect}" unless @meta.empty?}>"
    end
    alias to_s inspect

    # pp and IRB print this, not the instance variables.
    def pretty_print(pp)
      pp.text(inspect)
    end

    # Not dumped: a dump would carry the secret key in the clear. Save the certificate.
    def marshal_dump
      raise TypeError, "ZMQ::Cert is not dumped (it holds a secret key): use #save"
    end

    private

    def convert(z85, format)
      case format
      when :z85 then z85.dup
      when :binary then ZMQ.z85_decode(z85)
      else raise ArgumentError, "unknown key format #{format.inspect} (expected :z85 or :binary)"
      end
    end

    def zpl(secret:)
      lines = ["#   ****  Generated on #{Time.now.strftime('%Y-%m-%d %H:%M:%S')} by zmq-rs  ****"]
      lines.concat(if secret
                     ["#   ZeroMQ CURVE **Secret** Certificate",
                      "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions."]
                   else
                     ["#   ZeroMQ CURVE Public Certificate",
                      "#   Exchange securely, or use a secure mechanism to verify the contents",
                      "#   of this file after exchange. Store public certificates in your home",
                      "#   directory, in the .curve subdirectory."]
                   end)
      lines << "" << "metadata"
      @meta.each { |name, value| lines << "    #{name} = #{quote(value)}" }
      lines << "curve" << "    public-key = \"#{@public_key}\""
      lines << "    secret-key = \"#{@secret_key}\"" if secret
      "#{lines.join("\n")}\n"
    end

    def quote(value)
      value.include?('"') ? "'#{value}'" : "\"#{value}\""
    end

    def write(path, text, mode, private_file:)
      File.open(path, File::WRONLY | File::CREAT | File::TRUNC, mode) do |f|
        f.chmod(mode) if private_file # an existing file keeps its mode through O_TRUNC
        f.write(text)
      end
      path
    end

    # ZPL (ZeroMQ RFC 4), as czmq's zconfig reads it: a tree of "name" or "name = value"
    # lines, children indented by 4 spaces, values quoted ("..." or '...') or bare up to a
    # "#" comment. Errors name the line, never its content (it may be a key).
    module ZPL # :nodoc:
      Node = Struct.new(:name, :value, :children) do
        def child(name)
          children.find { |c| c.name == name }
        end
      end

      NAME_CHARS = %r{[A-Za-z0-9$\-_@.&+/]*}.freeze

      module_function

      def parse(text, source)
        text = text.dup.force_encoding(Encoding::UTF_8)
        raise ZMQ::Error, "#{source}: not a text file" unless text.valid_encoding?

        root = Node.new("root", nil, [])
        text.each_line.with_index(1) do |line, lineno|
          line = line.rstrip
          next if line.start_with?("#")

          indent = line[/\A */].size
          fail_at(source, lineno, "indent by 4 spaces at once") unless (indent % 4).zero?
          rest = line[indent..]
          name = rest[NAME_CHARS]
          rest = rest[name.size..]
          if name.empty?
            fail_at(source, lineno, "invalid syntax") unless eoln?(rest)
            next
          end
          fail_at(source, lineno, "'/' not valid at name start or end") if name.start_with?("/") || name.end_with?("/")
          parent = at_depth(root, indent / 4)
          fail_at(source, lineno, "indentation error") unless parent
          parent.children << Node.new(name, value(rest, source, lineno), [])
        end
        root
      end

      def value(rest, source, lineno)
        rest = rest.lstrip
        unless rest.start_with?("=")
          fail_at(source, lineno, "invalid syntax") unless eoln?(rest)
          return ""
        end
        rest = rest[1..].lstrip
        if rest.start_with?('"', "'")
          close = rest.index(rest[0], 1)
          fail_at(source, lineno, "missing #{rest[0]}") unless close
          fail_at(source, lineno, "invalid syntax after the value") unless eoln?(rest[(close + 1)..])
          rest[1...close]
        else
          rest.split("#", 2).first.to_s.rstrip
        end
      end

      def eoln?(rest)
        rest = rest.lstrip
        rest.empty? || rest.start_with?("#")
      end

      # The latest node at `depth` (0 is the root), or nil.
      def at_depth(node, depth)
        depth.times do
          node = node.children.last
          return nil unless node
        end
        node
      end

      def fail_at(source, lineno, what)
        raise ZMQ::Error, "#{source}: line #{lineno}: #{what}"
      end
    end
  end
end
