# frozen_string_literal: true

require "rbconfig"
require "timeout"
require_relative "support/zmq_helpers"

# rbczmq's suite had a STRESS_GC mode (GC.stress = true, a full GC at every allocation).
#
# Always run: frames, messages, their send/receive, pollers and loops exercised with
# GC.stress on (only around the code under test: the matchers run without it), with
# small counts so the whole file stays within seconds. Objects are made inline and held
# only by what is under test (a message holding its frames, a poller or loop holding its
# pollitems, handlers and timers), so a missing GC reference shows up as a crash or a
# wrong result.
#
# ZMQRS_GC_STRESS=full also runs the frame/message, timer, handler, poller and loop
# spec files in a child process with GC.stress around every example, as rbczmq's
# STRESS_GC did (minutes; bounded by ZMQRS_GC_STRESS_LIMIT seconds, default 1200).
# Examples tagged :no_gc_stress (timing measurements, thousands of messages) are left
# out there.
if ENV["ZMQRS_GC_STRESS_CHILD"]
  RSpec.configure do |config|
    config.around do |example|
      GC.stress = true
      example.run
    ensure
      GC.stress = false
    end
  end
else
  RSpec.describe "GC.stress" do
    include ZmqHelpers

    def under_gc_stress
      GC.stress = true
      yield
    ensure
      GC.stress = false
    end

    it "frames and messages: build, copy, wrap/unwrap, encode/decode, iterate" do
      result = under_gc_stress do
        msg = ZMQ::Message.new
        3.times { |i| msg.addstr("part#{i}") }
        msg.push(ZMQ::Frame("head"))
        msg.wrap(ZMQ::Frame("identity"))
        copy = msg.dup
        decoded = ZMQ::Message.decode(copy.encode)
        frames = decoded.to_a.map(&:data)
        envelope = decoded.unwrap.data
        walked = [decoded.first&.data]
        while (frame = decoded.next)
          walked << frame.data
        end
        last = msg.last.dup
        popped = msg.pop
        other = ZMQ::Message.new
        other.add(popped)
        [frames, envelope, walked, last.data, other.popstr, msg.size, ZMQ::Frame("x") == ZMQ::Frame("x")]
      end
      expect(result).to eq([%w[identity head part0 part1 part2].insert(1, ""), "identity",
                            %w[head part0 part1 part2], "part2", "identity", 5, true])
    end

    it "send_frame/recv_frame and send_message/recv_message over inproc and tcp" do
      results = %i[inproc tcp].map do |transport|
        a, b = pair_of(:PAIR, :PAIR, transport) if transport == :inproc
        a, b = pair_of(:DEALER, :DEALER, transport) if transport == :tcp
        under_gc_stress do
          got = []
          3.times do |i|
            b.send_frame(ZMQ::Frame("f#{i}"), ZMQ::Frame::MORE)
            b.send_frame(ZMQ::Frame("last#{i}"))
            got << a.recv_frame.data << a.recv_frame.data
            b.send_message(ZMQ.Message("m#{i}", "x" * 100))
            got << a.recv_message.to_a.map(&:data)
          end
          got
        end
      end
      expected = (0..2).flat_map { |i| ["f#{i}", "last#{i}", ["m#{i}", "x" * 100]] }
      expect(results).to eq([expected, expected])
    end

    it "pollers holding the only references to their pollitems, sockets and IOs" do
      pull, push = pair_of(:PULL, :PUSH, :inproc)
      counts = under_gc_stress do
        poller = ZMQ::Poller.new
        poller.register(ZMQ::Pollitem.new(pull, ZMQ::POLLIN))
        r, w = IO.pipe
        poller.register_readable(r)
        poller.register_writable(w)
        push.send("x")
        w.write("y")
        seen = [poller.poll(1), poller.readables.size, poller.writables.size]
        pull.recv
        r.read(1)
        seen << poller.poll(0) << ZMQ.select([pull], [], [], 0)
        [r, w].each(&:close)
        seen
      end
      expect(counts).to eq([3, 2, 1, 1, [[], [], []]])
    end

    it "loops: timers, a socket reader and an IO reader made inline, exceptions through on_error" do
      pull, push = pair_of(:PULL, :PUSH, :inproc)
      outcome = under_gc_stress do
        got = []
        r, w = IO.pipe
        reader = Class.new(ZMQ::Handler) do
          # Pipe reads may join writes: count bytes, not reads.
          define_method(:on_readable) { got << recv; got.join.size < 9 }
          define_method(:on_writable) { nil }
        end
        lp = ZMQ::Loop.new
        item = ZMQ::Pollitem.new(pull, ZMQ::POLLIN)
        item.handler = reader.new(item)
        lp.register(item)
        item = nil # rubocop:disable Lint/UselessAssignment -- the loop holds the only reference
        lp.register(ZMQ::Pollitem.new(r, ZMQ::POLLIN).tap { |io_item| io_item.handler = reader.new(io_item) })
        sent = 0
        lp.register_timer(ZMQ::Timer.new(0.001, 3) { push.send("z#{sent += 1}") })
        lp.register_timer(ZMQ::Timer.new(0.001, 3) { w.write("i") })
        status = lp.start
        swallowed = []
        failing = Class.new(ZMQ::Timer) { define_method(:on_error) { |e| swallowed << e.message } }
        lp.register_timer(failing.new(0.001, 1) { raise "in timer" })
        status2 = lp.start
        [r, w].each(&:close)
        [status, got.join.chars.sort.join, status2, swallowed]
      end
      expect(outcome).to eq([-1, "123iiizzz", -1, ["in timer"]])
    end

    it "the class-level API: ZL.run, register_readable, add_*_timer, stop" do
      pull, push = pair_of(:PULL, :PUSH, :inproc)
      outcome = under_gc_stress do
        got = []
        handler = Class.new(ZMQ::Handler) do
          define_method(:initialize) { |item, sink| super(item); @sink = sink }
          define_method(:on_readable) { @sink << recv; ZL.stop if @sink.size == 3 }
        end
        status = ZMQ::Loop.run do
          ZL.register_readable(pull, handler, got)
          ZL.add_timer(0.001, 3) { push.send("p") }
        end
        [status, got]
      end
      expect(outcome).to eq([-1, %w[p p p]])
    end

    if ENV["ZMQRS_GC_STRESS"] == "full"
      full_limit = Integer(ENV.fetch("ZMQRS_GC_STRESS_LIMIT", "1200"))
      it "runs the frame/message, timer, handler, poller and loop spec files with GC.stress (rbczmq's STRESS_GC)",
         timeout: full_limit + 60 do
        limit = full_limit
        root = File.expand_path("..", __dir__)
        files = %w[frame_message_spec.rb timer_spec.rb handler_spec.rb poller_spec.rb loop_spec.rb]
                .map { |name| File.join(root, "spec", name) }.select { |path| File.exist?(path) }
        reader, writer = IO.pipe
        env = { "ZMQRS_GC_STRESS_CHILD" => "1", "ZMQ_SPEC_TIMEOUT" => limit.to_s }
        pid = Process.spawn(env, RbConfig.ruby, "-S", "rspec", "--require", "spec_helper",
                            "--require", File.join(root, "spec", "gc_stress_spec.rb"),
                            "--tag", "~no_gc_stress", *files,
                            chdir: root, out: writer, err: writer, pgroup: true)
        writer.close
        output = +""
        output_reader = Thread.new { output << reader.read }
        status = nil
        begin
          Timeout.timeout(limit) { _, status = Process.wait2(pid) }
        ensure
          unless status
            Process.kill(:KILL, -pid)
            Process.wait(pid)
          end
        end
        output_reader.join(5)
        expect(status.success?).to be(true), "GC.stress run failed (#{status.inspect}):\n#{output}"
        expect(output).to match(/\d+ examples?, 0 failures/)
      end
    end
  end
end
