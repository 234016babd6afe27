# frozen_string_literal: true

# ZeroMQ security (PLAIN, CURVE and ZAP), which rbczmq never exposed. The names follow
# libzmq's socket options and the czmq / cztop / pyzmq conventions:
#
# - ZMQ::Socket options (native, ext/zmq_rs/src/security.rs): plain_server= / plain_server?,
#   plain_username(=), plain_password(=), curve_server= / curve_server?, curve_publickey(=),
#   curve_secretkey(=), curve_serverkey(=) (keys given as 40 Z85 characters or 32 bytes,
#   read back as Z85, nil when unset), zap_domain(=).
# - ZMQ.curve_keypair => [public_z85, secret_z85]; ZMQ.curve_public(secret) => public_z85;
#   ZMQ.z85_encode(binary) / ZMQ.z85_decode(text).
# - ZMQ::Cert: a key pair with metadata, in czmq's zcert file format (lib/zmq/cert.rb).
# - ZMQ::Auth: a ready-made ZAP handler (lib/zmq/auth.rb).
#
# A refused or failed handshake closes that connection (nothing is delivered) and is
# reported to socket monitors by one of the events below (libzmq 4.3's numbers).

module ZMQ
  {
    EVENT_HANDSHAKE_FAILED_NO_DETAIL: 0x0800,
    EVENT_HANDSHAKE_SUCCEEDED: 0x1000,
    EVENT_HANDSHAKE_FAILED_PROTOCOL: 0x2000,
    EVENT_HANDSHAKE_FAILED_AUTH: 0x4000
  }.each { |name, value| const_set(name, value) unless const_defined?(name, false) }
end

require "zmq/cert"
require "zmq/auth"
