# frozen_string_literal: true

# Writes the Makefile that builds the native extension `zmq/zmq_rs.so` with cargo.
#
# No mkmf and no rb_sys gem: the Makefile only has to satisfy the two callers that
# drive it, rake-compiler (`rake compile`) and rubygems (`gem install`):
#
#   make            cargo build --release -p zmq_rs, copy libzmq_rs.so to ./zmq_rs.so
#   make install    copy zmq_rs.so to $(DESTDIR)$(sitearchdir)$(target_prefix)
#   make clean      remove ./zmq_rs.so (the cargo target dir is left alone)
#
# Both callers point `sitearchdir` at their own destination by loading a "siteconf"
# file that rewrites RbConfig::MAKEFILE_CONFIG before this script runs, so it is read
# from there (and not from the Ruby install) when the Makefile is written.
#
# Environment knobs: CARGO (path to cargo), CARGO_TARGET_DIR (honoured outside
# `gem install`), LIBCLANG_PATH (directory holding libclang.so, as for bindgen),
# ZMQ_RS_KEEP_TARGET (keep the cargo output even though SOURCE_DATE_EPOCH is set).

require "rbconfig"
require "shellwords"

EXT_NAME = "zmq_rs"           # crate lib name; Ruby calls Init_zmq_rs
TARGET_PREFIX = "/zmq"         # installed as <sitearchdir>/zmq/zmq_rs.so, `require "zmq/zmq_rs"`
MIN_RUST = [1, 85]             # magnus 0.9 needs Rust 1.85

def fail_with(message)
  warn "\n*** zmq-rs cannot be built: #{message}\n\n"
  exit 1
end

def executable(path)
  path if path && !path.empty? && File.file?(path) && File.executable?(path)
end

def which(name)
  ENV.fetch("PATH", "").split(File::PATH_SEPARATOR).map { |dir| executable(File.join(dir, name)) }.compact.first
end

# --- prerequisites -----------------------------------------------------------------

unless File.exist?(File.join(RbConfig::CONFIG["rubyhdrdir"].to_s, "ruby.h"))
  fail_with "Ruby's C headers are missing. Install them: apt-get install ruby-dev"
end

# cargo may live outside PATH (rustup installs into ~/.cargo/bin, sudo resets PATH).
cargo = executable(ENV["CARGO"]) || which("cargo") ||
        executable(File.join(ENV["CARGO_HOME"] || File.join(Dir.home, ".cargo"), "bin", "cargo"))
unless cargo
  fail_with "cargo was not found. Install Rust >= #{MIN_RUST.join('.')} " \
            "(https://rustup.rs; Debian's own cargo is too old), or set CARGO=/path/to/cargo"
end
rust_version = `#{cargo.shellescape} --version`[/\d+\.\d+/].to_s.split(".").map(&:to_i)
if (rust_version <=> MIN_RUST).to_i.negative?
  fail_with "#{cargo} is Rust #{rust_version.join('.')}, but #{MIN_RUST.join('.')} or newer is " \
            "needed. Update it with `rustup update stable`"
end

# rb-sys generates its Ruby bindings with bindgen, which loads libclang at build time.
unless RbConfig::CONFIG["host_os"].include?("darwin")
  clang_dirs = [ENV["LIBCLANG_PATH"], "/usr/lib/llvm-*/lib", "/usr/lib/*-linux-gnu",
                "/usr/lib64", "/usr/lib", "/usr/local/lib"].compact
  if clang_dirs.flat_map { |dir| Dir.glob(File.join(dir, "libclang{,-*}.so*")) }.empty?
    fail_with "libclang was not found (rb-sys needs it to read ruby.h). " \
              "Install it: apt-get install libclang-dev (or set LIBCLANG_PATH)"
  end
end

# --- paths --------------------------------------------------------------------------

root = File.expand_path("../..", __dir__) # the cargo workspace: Cargo.toml, Cargo.lock
# `gem install` runs the build with SOURCE_DATE_EPOCH set. There the cargo output is
# private to this build, honours the shipped Cargo.lock, and is deleted after install
# (it is ~150 MB and the installed gem would otherwise keep it).
gem_install = ENV.key?("SOURCE_DATE_EPOCH") && !ENV.key?("ZMQ_RS_KEEP_TARGET")
target_dir = (!gem_install && ENV["CARGO_TARGET_DIR"]) || File.join(root, "target")

sitearchdir = RbConfig.expand(RbConfig::MAKEFILE_CONFIG["sitearchdir"].dup)

cargo_build = [cargo, "build", "--release", "-p", EXT_NAME,
               "--manifest-path", File.join(root, "Cargo.toml"), "--target-dir", target_dir]
cargo_build << "--locked" if gem_install

# --- Makefile ------------------------------------------------------------------------

File.write("Makefile", <<~MAKE)
  # Written by #{__FILE__}: builds the Rust extension with cargo.
  SHELL = /bin/sh
  # rb-sys builds against the Ruby named by $RUBY: the one that ran extconf.rb.
  RUBY = #{RbConfig.ruby.shellescape}
  export RUBY
  DLLIB = #{EXT_NAME}.#{RbConfig::CONFIG['DLEXT']}
  CARGO_SO = #{File.join(target_dir, 'release', "lib#{EXT_NAME}.so").shellescape}
  TARGET_DIR = #{target_dir.shellescape}
  DESTDIR =
  sitearchdir = #{sitearchdir.shellescape}
  target_prefix = #{TARGET_PREFIX}
  INSTALL_DIR = $(DESTDIR)$(sitearchdir)$(target_prefix)

  all: $(DLLIB)

  # Always ask cargo: it knows whether any Rust source changed.
  $(DLLIB): FORCE
  \t#{cargo_build.shelljoin}
  \trm -f $@ && cp $(CARGO_SO) $@

  install: $(DLLIB)
  \tmkdir -p $(INSTALL_DIR)
  \trm -f $(INSTALL_DIR)/$(DLLIB) && cp $(DLLIB) $(INSTALL_DIR)/$(DLLIB)
  #{"\trm -rf $(TARGET_DIR) $(DLLIB)  # gem install: keep only the installed copy" if gem_install}

  clean:
  \trm -f $(DLLIB)

  .PHONY: all install clean FORCE
  FORCE:
MAKE

puts "Makefile written: cargo builds #{EXT_NAME} into #{target_dir}"
