# frozen_string_literal: true

require "ipaddr"

module ZMQ
  # An authenticator (a ZAP handler, ZeroMQ RFC 27) for one context, in the manner of
  # czmq's zauth, cztop's Authenticator and pyzmq's ThreadAuthenticator: once started,
  # every PLAIN or CURVE server socket of the context (and every NULL socket given a
  # zap_domain) asks it about each new peer, and a refused peer is disconnected before any
  # message gets through. It runs on a native thread; no Ruby handler is involved.
  #
  #   auth = ZMQ::Auth.new(ctx)
  #   auth.allow("127.0.0.1")                            # optional IP allow-list
  #   auth.configure_curve("*", "certs/clients")         # public certs of allowed clients
  #   auth.configure_plain("*", passwords: { "admin" => "secret" })
  #   ...
  #   auth.stop
  #
  # Without configure_plain, PLAIN clients are refused; without configure_curve, CURVE
  # clients are refused (configure_curve(ZMQ::Auth::CURVE_ALLOW_ANY) accepts any key:
  # encryption without client authentication). Without any ZMQ::Auth (no ZAP handler),
  # a context's CURVE servers accept every client key and its PLAIN servers refuse every
  # client, as libzmq's do.
  #
  # Refusals are reported to socket monitors as ZMQ::EVENT_HANDSHAKE_FAILED_AUTH (the
  # value is the ZAP status code, 400). The authenticator never logs credentials.
  class Auth
    # configure_curve's location meaning "any client key".
    CURVE_ALLOW_ANY = "*"

    # The running authenticators (see #initialize).
    LIVE = {}.compare_by_identity
    private_constant :LIVE

    # Starts the authenticator for `context` (default: the process's context). One per
    # context: a second raises ZMQ::Error. A block gets the authenticator and stops it
    # at the end.
    def initialize(context = ZMQ.context)
      unless context.is_a?(ZMQ::Context)
        raise TypeError, "wrong argument type #{ZMQ.__class_name(context)} (expected ZMQ::Context)" unless context.nil?

        raise ZMQ::Error, "no ZMQ::Context: create one before the authenticator"
      end
      @context = context
      @zap = ZapHandler.__start(context)
      # Held until stop: an authenticator dropped without stop keeps working (were it
      # collected, the context's servers would fall back to accepting every client).
      LIVE.delete_if { |_, auth| auth.context.__destroyed? }
      LIVE[@zap] = self
      return unless block_given?

      begin
        yield self
      ensure
        stop
      end
    end

    # Allows IP addresses ("127.0.0.1", "::1"): once any is allowed, peers from every
    # other address are refused, whatever their credentials. Returns self.
    def allow(*addresses)
      addresses.flatten.each { |address| @zap.__allow(address!(address)) }
      self
    end

    # Refuses IP addresses (checked before anything else). Returns self.
    def deny(*addresses)
      addresses.flatten.each { |address| @zap.__deny(address!(address)) }
      self
    end

    # PLAIN usernames and passwords for a ZAP domain ("*": every domain), from a Hash
    # (`passwords:`) or a password file (`file:`, czmq's format: one "username=password"
    # line each, "#" starts a comment line). Replaces the domain's previous table.
    # Returns self.
    def configure_plain(domain = "*", passwords: nil, file: nil)
      domain = domain!(domain)
      raise ArgumentError, "configure_plain takes passwords: or file:, not both" if passwords && file
      raise ArgumentError, "configure_plain needs passwords: (a Hash) or file: (a password file)" unless passwords || file

      pairs = file ? Auth.__password_file(file) : passwords_table(passwords)
      @zap.__plain(domain, pairs)
      self
    end

    # CURVE clients allowed in a ZAP domain ("*": every domain). `location` is a
    # directory of public certificates (every file in it and below, as ZMQ::Cert#save
    # and czmq write them; "_secret" files and files that are not certificates are
    # skipped), an Array of public keys (Z85 or 32 bytes) or ZMQ::Cert objects, or
    # CURVE_ALLOW_ANY. A directory is read now: call again after changing it. Replaces
    # the domain's previous keys. Returns self.
    def configure_curve(domain = "*", location)
      domain = domain!(domain)
      case location
      when CURVE_ALLOW_ANY
        @zap.__curve_any(domain)
      when Array
        @zap.__curve(domain, location.map { |key| key.is_a?(ZMQ::Cert) ? key.public_key : key })
      when String
        @zap.__curve(domain, Auth.__public_keys_in(location))
      else
        return configure_curve(domain, location.to_path) if location.respond_to?(:to_path)


        raise TypeError, "wrong argument type #{ZMQ.__class_name(location)} " \
                         "(expected a directory, an Array of keys or ZMQ::Auth::CURVE_ALLOW_ANY)"
      end
      self
    end

    # Stops answering and frees the context's ZAP endpoint (a new ZMQ::Auth may then
    # start). Idempotent. Note libzmq's rule: with no ZAP handler, PLAIN and CURVE
    # servers accept every client again (still encrypted with CURVE).
    def stop
      @zap.__stop
      LIVE.delete(@zap)
      nil
    end

    # Whether it still answers (false after stop, or once its context is destroyed).
    def running?
      @zap.__running? && !@context.__destroyed?
    end

    # The context it authenticates for.
    attr_reader :context

    def inspect
      "#<#{self.class} #{running? ? 'running' : 'stopped'}>"
    end
    alias to_s inspect

    class << self
      # The [username, password] pairs of a czmq password file.
      def __password_file(path)
        path = path.to_path if path.respond_to?(:to_path)
        raise TypeError, "wrong argument type #{ZMQ.__class_name(path)} (expected String)" unless path.is_a?(String)

        File.foreach(path, mode: "rb").filter_map do |line|
          line = line.chomp
          equals = line.index("=")
          next if line.start_with?("#") || equals.nil? || equals.zero?

          [line[0...equals], line[(equals + 1)..]]
        end
      end

      # The public keys (Z85) of the certificates under a directory.
      def __public_keys_in(dir)
        raise ArgumentError, "no such certificate directory: #{dir}" unless File.directory?(dir)

        Dir.glob("**/*", base: dir).sort.filter_map do |name|
          path = File.join(dir, name)
          next if name.end_with?("_secret") || !File.file?(path)

          begin
            ZMQ::Cert.from_zpl(File.read(path), path).public_key
          rescue ZMQ::Error, ArgumentError
            nil # not a certificate
          end
        end.uniq
      end
    end

    private

    def address!(address)
      raise TypeError, "wrong argument type #{ZMQ.__class_name(address)} (expected String)" unless address.is_a?(String)

      IPAddr.new(address)
      address
    rescue IPAddr::InvalidAddressError
      raise ArgumentError, "not an IP address: #{address.inspect}"
    end

    def domain!(domain)
      raise TypeError, "wrong argument type #{ZMQ.__class_name(domain)} (expected String)" unless domain.is_a?(String)
      raise ArgumentError, "a ZAP domain is at most 255 bytes" if domain.bytesize > 255

      domain
    end

    def passwords_table(passwords)
      raise TypeError, "wrong argument type #{ZMQ.__class_name(passwords)} (expected Hash)" unless passwords.is_a?(Hash)

      passwords.map do |user, password|
        user = user.to_s if user.is_a?(Symbol)
        unless user.is_a?(String) && password.is_a?(String)
          raise TypeError, "PLAIN usernames and passwords are Strings"
        end

        [user, password]
      end
    end
  end
end
