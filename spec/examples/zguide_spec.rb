# frozen_string_literal: true

require "rbconfig"
require "tmpdir"
require_relative "../../examples/zguide/groups"
require_relative "../support/example_group_spec"

# The zguide in Ruby (issue 4): our own rbczmq-style versions of the zguide chapter 1-3
# examples (examples/zguide/) run as real processes, one group at a time, through
# examples/run_demo.rb's runner (fresh ports through the environment, a deadline per
# group, everything still running killed in an ensure), and their output is checked.
RSpec.describe "zguide examples" do # rubocop:disable RSpec/DescribeClass
  extend ExampleGroupSpec

  def self.group(name, timeout: 45, &block)
    super(name, timeout: timeout, plan: -> { ExampleGroups.zguide_group("zguide/#{name}") }, &block)
  end

  def sum_of(labels, pattern)
    labels.sum { |label| output(label)[pattern, 1].to_i }
  end

  group "hello" do
    it "answers each Hello with World, in order" do
      expect(output("hwclient").scan(/^Received World (\d+)$/).flatten).to eq((0..9).map(&:to_s))
      expect(output("hwserver").scan(/^Received request: Hello$/).size).to eq(10)
      expect(output("hwserver")).to include("hwserver: answered 10 requests")
    end
  end

  group "weather" do
    it "averages the temperatures of the subscribed zip code" do
      average = output("wuclient")[/^Average temperature for zipcode '10001' was (-?\d+)F$/, 1]
      expect(average).not_to be_nil, output("wuclient")
      expect(Integer(average)).to be_between(-80, 134)
      expect(output("wuserver")).to match(/wuserver: published \d+ updates/)
    end
  end

  group "tasks" do
    it "spreads the tasks over the workers and collects every result in the sink" do
      expect(output("taskvent")).to match(/^Total expected cost: \d+ msec$/)
      expect(output("tasksink")).to include("Received 50 results")
      expect(output("tasksink")).to match(/^Total elapsed time: \d+ msec$/)
      workers = %w[taskwork#1 taskwork#2 taskwork#3]
      expect(sum_of(workers, /taskwork: did (\d+) tasks/)).to eq(50)
    end
  end

  group "tasks2" do
    it "stops every worker with the sink's KILL once the batch is done" do
      expect(output("tasksink2")).to include("Received 50 results")
      expect(output("tasksink2")).to include("tasksink2: sent KILL to the workers")
      workers = %w[taskwork2#1 taskwork2#2 taskwork2#3]
      workers.each { |w| expect(output(w)).to match(/taskwork2: KILL received after \d+ tasks/) }
      expect(sum_of(workers, /KILL received after (\d+) tasks/)).to eq(50)
    end
  end

  %w[rrbroker rrbroker2 rrbroker3 msgqueue].each do |broker|
    group broker do
      it "brokers every request to a worker and every reply back to its client" do
        %w[rrclient#1 rrclient#2].each do |client|
          expect(output(client).scan(/^Received reply \d+ \[World\]$/).size).to eq(5)
        end
        expect(sum_of(%w[rrworker#1 rrworker#2], /rrworker: answered (\d+) requests/)).to eq(10)
        expect(output(broker)).to include("#{broker}: relayed 10 replies")
      end
    end
  end

  %w[msreader mspoller mspoller2].each do |reader|
    group reader do
      it "reads the tasks and the subscribed weather updates from both sockets" do
        out = output(reader)
        expect(out).to match(/^task 50: \d+ msec$/)
        expect(out).to match(/^update 20: 10001 -?\d+ \d+$/)
        updates = out[/#{reader}: read 50 tasks and (\d+) weather updates/, 1]
        expect(updates).not_to be_nil, out
        expect(Integer(updates)).to be >= 20
      end
    end
  end

  group "mtrelay" do
    it "passes the signal from thread to thread over inproc PAIR sockets" do
      expect(output("mtrelay").lines.map(&:chomp)).to eq(
        ["Step 1 ready, signaling step 2", "Step 2 ready, signaling step 3", "Test successful!"]
      )
    end
  end

  group "identity" do
    it "shows a generated identity for an anonymous REQ and the chosen one for PEER2" do
      out = output("identity")
      expect(out).to match(/^\[005\] 00[0-9A-F]{8}\n\[000\] \n\[039\] ROUTER uses a generated 5 byte identity$/)
      expect(out).to match(/^\[005\] PEER2\n\[000\] \n\[040\] ROUTER socket uses REQ's socket identity$/)
      expect(out).to include("identity: both envelopes shown")
    end
  end

  %w[rtreq rtdealer].each do |example|
    group example do
      it "keeps every worker busy until it is fired" do
        done = output(example).scan(/^Completed: (\d+) tasks$/).flatten.map(&:to_i)
        expect(done.size).to eq(5)
        expect(done).to all(be_positive)
        expect(output(example)).to include("#{example}: 5 workers did #{done.sum} tasks")
      end
    end
  end

  %w[lbbroker lbbroker2 lbbroker3].each do |broker|
    group broker do
      it "gives every client's request to a ready worker and brings back its reply" do
        out = output(broker)
        expect(out.scan(/^Client: OK$/).size).to eq(10)
        expect(out.scan(/^Worker: HELLO$/).size).to eq(10)
        served = out[/#{broker}: 10 clients served by 3 workers \(([\d +]+)\)/, 1]
        expect(served).not_to be_nil, out
        expect(served.split(" + ").sum(&:to_i)).to eq(10)
      end
    end
  end

  group "sync" do
    it "publishes only once every subscriber has checked in, so none misses an update" do
      expect(output("syncpub")).to include("syncpub: sent 100000 updates to 3 subscribers")
      %w[syncsub#1 syncsub#2 syncsub#3].each do |sub|
        expect(output(sub)).to include("Received 100000 updates")
      end
    end
  end

  group "psenv" do
    it "delivers only the B envelopes, key frame then content frame" do
      expect(output("psenvsub").lines.map(&:chomp)).to eq(["[B] We would like to see this"] * 5)
    end
  end

  group "wuproxy" do
    it "relays the weather stream through XSUB/XPUB, subscriptions upstream included" do
      average = output("wuclient")[/^Average temperature for zipcode '10002' was (-?\d+)F$/, 1]
      expect(average).not_to be_nil, output("wuclient")
      relayed = output("wuproxy")[/wuproxy: relayed (\d+) updates/, 1]
      expect(relayed).not_to be_nil, output("wuproxy")
      expect(Integer(relayed)).to be >= 20
    end
  end

  # interrupt.rb waits in a blocking recv for ever (well, $IDLE_MS); SIGINT must make the
  # recv return and Ruby raise Interrupt, which the example rescues. It runs in its own
  # process group, with SIGINT's default disposition restored (a background process may
  # have inherited SIGINT ignored, and then Ruby never sees the signal).
  describe "interrupt" do
    def spawn_example(script, log, env)
      Process.spawn(env, "env", "--default-signal=INT", RbConfig.ruby, "-I", ExampleGroups::LIB,
                    File.expand_path("../../examples/zguide/#{script}", __dir__),
                    in: File::NULL, %i[out err] => [log, "w"], pgroup: true)
    end

    def wait_for(pid, seconds)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
      loop do
        _, status = Process.wait2(pid, Process::WNOHANG)
        return status if status
        return nil if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

        sleep 0.05
      end
    end

    it "serves a request, then shuts down cleanly on Ctrl-C (SIGINT)" do
      Dir.mktmpdir("zguide-interrupt-") do |dir|
        port = ExampleGroups.free_ports(1).first.to_s
        env = { "HW_PORT" => port, "ZMQ_HOST" => "127.0.0.1", "IDLE_MS" => "20000" }
        server_log = File.join(dir, "interrupt.log")
        client_log = File.join(dir, "hwclient.log")
        pids = []
        begin
          pids << (server = spawn_example("interrupt.rb", server_log, env))
          deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 15
          until File.read(server_log).include?("waiting for requests")
            raise "interrupt.rb did not start:\n#{File.read(server_log)}" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

            sleep 0.05
          end
          pids << (client = spawn_example("hwclient.rb", client_log, env))
          client_status = wait_for(client, 15)
          expect(client_status).to be_success, -> { File.read(client_log) }
          pids.delete(client)

          sleep 0.3 # back in its blocking recv
          Process.kill(:INT, server)
          status = wait_for(server, 10)
          expect(status).not_to be_nil, "interrupt.rb still runs 10 s after SIGINT"
          pids.delete(server)
          out = File.read(server_log)
          expect(status).to be_success, out
          expect(out).to include("Received request: Hello")
          expect(out).to include("W: interrupt received, killing server...")
          expect(out).to include("interrupt: context destroyed, bye")
        ensure
          pids.each do |pid|
            Process.kill(:KILL, -pid)
            Process.wait(pid)
          rescue Errno::ESRCH, Errno::ECHILD
            nil
          end
        end
      end
    end
  end
end
