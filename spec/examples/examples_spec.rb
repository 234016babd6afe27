# frozen_string_literal: true

require_relative "../../examples/run_demo"
require_relative "../support/example_group_spec"

# Runs every example group as real processes (examples/run_demo.rb picks free ports and
# passes them through the environment, kills whatever is left in an ensure, and bounds
# each group by a deadline) and checks what the programs printed.
RSpec.describe "examples" do # rubocop:disable RSpec/DescribeClass
  extend ExampleGroupSpec

  group "hello" do
    it "answers every request with World" do
      expect(output("hwclient").scan(/^Received reply (\d+) \[World\]$/).flatten).to eq((0..9).map(&:to_s))
      expect(output("hwserver").scan(/^Received request \d+ \[Hello\]$/).size).to eq(10)
      expect(output("hwserver")).to include("served 10 requests")
    end
  end

  group "mtserver" do
    it "serves two clients from worker threads behind ZMQ.proxy" do
      %w[hwclient#1 hwclient#2].each do |client|
        expect(output(client).scan(/^Received reply \d+ \[World\]$/).size).to eq(5)
      end
      expect(output("mtserver").scan(/^worker \d+: received request \[Hello\]$/).size).to eq(10)
      expect(output("mtserver")).to include("served 10 requests with 4 workers")
    end
  end

  group "rrbroker" do
    it "brokers every request to a worker and every reply back" do
      %w[rrclient#1 rrclient#2].each do |client|
        expect(output(client).scan(/^Received reply \d+ \[World\]$/).size).to eq(5)
      end
      answered = %w[rrworker#1 rrworker#2].sum { |w| output(w)[/answered (\d+) requests/, 1].to_i }
      expect(answered).to eq(10)
      expect(output("rrbroker")).to include("relayed 10 replies")
    end
  end

  group "tasks" do
    it "fans the tasks out to the workers and collects every result in the sink" do
      expect(output("taskvent")).to match(/sent 30 tasks, total expected cost: \d+ msec/)
      expect(output("tasksink")).to include("Received 30 of 30 results")
      expect(output("tasksink")).to match(/^Total elapsed time: \d+ msec$/)
      done = %w[taskwork#1 taskwork#2 taskwork#3].map { |w| output(w)[/did (\d+) tasks/, 1].to_i }
      expect(done.sum).to eq(30)
    end
  end

  group "weather" do
    it "averages the temperature of the subscribed zip code only" do
      average = output("wuclient")[/^Average temperature for zipcode '10001' was (-?\d+(?:\.\d+)?)F$/, 1]
      expect(average).not_to be_nil, output("wuclient")
      expect(Float(average)).to be_between(-80, 134)
    end
  end

  group "psenv" do
    it "receives only the B envelopes, each as key frame + content frame" do
      lines = output("psenvsub").lines.map(&:chomp)
      expect(lines).to eq(["[B] We would like to see this"] * 5)
    end
  end

  group "remote_proxy" do
    it "returns remote results, re-raises remote errors, and times out when the service is down" do
      out = output("remote_proxy")
      expect(out).to include("calc.add(2, 3) => 5")
      expect(out).to include("calc.divide(1, 0) raised ZeroDivisionError: divided by 0 (re-raised locally)")
      expect(out).to include("calc.overheat(451) raised Calculator::Overheated: 451 degrees is too hot")
      expect(out).to match(/calc\.add\(1, 1\) raised RemoteProxy::TimeoutError: no reply from \S+ within 500 ms/)
      expect(out).not_to include("FAIL")
      expect(out).to include("remote_proxy demo: all good")
    end
  end

  group "ironhouse" do
    it "delivers to the allowed CURVE client only, and reports the refused one" do
      out = output("ironhouse")
      expect(out).to include("server: refused a client with an unknown key (ZAP status 400)")
      expect(out.scan(/^client: received \[Ironhouse message \d\]$/).size).to eq(3)
      expect(out).to include("intruder: received nothing")
      expect(out).not_to include("FAIL")
      expect(out).to include("ironhouse: all good")
    end
  end

  describe "the runner" do
    it "kills a group that outlives its deadline, and reports it" do
      stuck = ExampleGroups::Group.new(
        name: "stuck", ports: %w[HW_PORT],
        processes: [ExampleGroups.server("hwserver.rb", "1", env: { "IDLE_MS" => "60000" })]
      )
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      result = ExampleGroups.run(stuck, timeout: 1)
      expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < 10
      expect(result.ok).to be(false)
      expect(result.error).to include("still running after the deadline: hwserver")
      expect(result.statuses["hwserver"]).not_to be_success
    end
  end
end
