# frozen_string_literal: true

# Runs the examples as real processes, one group at a time: the servers of a group first,
# then its clients, each with its own stdout/stderr captured. A group passes when every
# one of its processes exits 0 before the group's deadline; whatever still runs at the
# end is killed. Every group gets fresh free TCP ports through the environment, so it
# does not collide with anything already listening on the zguide's ports.
#
#   ruby examples/run_demo.rb [GROUP...]     # all groups by default; exit 1 on a failure
#   ruby examples/run_demo.rb zguide         # the zguide examples' groups (examples/zguide/groups.rb)
#   ruby examples/run_demo.rb zguide/hello   # one of them
#
# $DEMO_TIMEOUT: seconds per group (default 60). The examples' spec uses this file as a
# library (ExampleGroups.run).

require "rbconfig"
require "socket"
require "tmpdir"

module ExampleGroups
  EXAMPLES = __dir__
  LIB = File.expand_path("../lib", __dir__)

  # One process of a group: a script, its arguments, extra environment, whether it is a
  # client (started after the servers, `delay` seconds later), and how many copies.
  Proc_ = Struct.new(:script, :args, :env, :client, :copies, keyword_init: true) do
    def labels
      copies == 1 ? [script_name] : Array.new(copies) { |i| "#{script_name}##{i + 1}" }
    end

    def script_name
      File.basename(script, ".rb")
    end
  end

  def self.server(script, *args, env: {}, copies: 1)
    Proc_.new(script: script, args: args, env: env, client: false, copies: copies)
  end

  def self.client(script, *args, env: {}, copies: 1)
    Proc_.new(script: script, args: args, env: env, client: true, copies: copies)
  end

  Group = Struct.new(:name, :ports, :processes, keyword_init: true)

  GROUPS = [
    Group.new(name: "hello", ports: %w[HW_PORT],
              processes: [server("hwserver.rb", "10"), client("hwclient.rb", "10")]),
    Group.new(name: "mtserver", ports: %w[HW_PORT],
              processes: [server("mtserver.rb", "10", env: { "WORKERS" => "4" }),
                          client("hwclient.rb", "5", copies: 2)]),
    Group.new(name: "rrbroker", ports: %w[RR_FRONTEND_PORT RR_BACKEND_PORT],
              processes: [server("rrbroker.rb", "10"),
                          server("rrworker.rb", env: { "IDLE_MS" => "3000" }, copies: 2),
                          client("rrclient.rb", "5", copies: 2)]),
    Group.new(name: "tasks", ports: %w[TASK_VENT_PORT TASK_SINK_PORT],
              processes: [server("tasksink.rb"),
                          server("taskwork.rb", env: { "IDLE_MS" => "3000" }, copies: 3),
                          client("taskvent.rb", "30", env: { "START_DELAY_MS" => "700" })]),
    Group.new(name: "weather", ports: %w[WU_PORT],
              processes: [server("wuserver.rb", "3"), client("wuclient.rb", "10001", "20")]),
    Group.new(name: "psenv", ports: %w[PSENV_PORT],
              processes: [server("psenvpub.rb", "25"), client("psenvsub.rb", "5")]),
    Group.new(name: "remote_proxy", ports: %w[RPC_PORT],
              processes: [client("remote_proxy.rb")]),
    Group.new(name: "ironhouse", ports: %w[IRONHOUSE_PORT],
              processes: [client("ironhouse.rb")]),
  ].freeze

  # What a group run gives back: ok, each process's output and status (by label), and
  # why it failed (nil when ok).
  Result = Struct.new(:name, :ok, :outputs, :statuses, :error, :seconds, keyword_init: true)

  module_function

  def group(name)
    return name if name.is_a?(Group)

    found = GROUPS.find { |g| g.name == name }
    found ||= zguide_group(name) if name.start_with?("zguide/") && load_zguide
    found or raise ArgumentError, "no example group #{name.inspect}"
  end

  # Loads the zguide examples' groups (ExampleGroups.zguide_groups) on first use.
  def load_zguide
    require_relative "zguide/groups"
    true
  end

  # Distinct free TCP ports on the loopback interface (held open together, so that they
  # differ; a tiny window remains before the example binds them).
  def free_ports(count)
    servers = Array.new(count) { TCPServer.new("127.0.0.1", 0) }
    servers.map { |s| s.addr[1] }
  ensure
    servers&.each(&:close)
  end

  # Runs one group (a name from GROUPS, or a Group) and returns its Result.
  def run(name, timeout: Float(ENV.fetch("DEMO_TIMEOUT", "60")), client_delay: 0.3)
    group = group(name)
    name = group.name
    ports = group.ports.zip(free_ports(group.ports.size)).to_h { |var, port| [var, port.to_s] }
    ports["RPC_ENDPOINT"] = "tcp://127.0.0.1:#{ports['RPC_PORT']}" if ports.key?("RPC_PORT")
    env = ports.merge("ZMQ_HOST" => "127.0.0.1")
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    deadline = started + timeout
    running = {} # pid => label
    statuses = {}
    Dir.mktmpdir("zmq-demo-") do |dir|
      logs = {}
      spawn = lambda do |proc_|
        proc_.labels.each do |label|
          logs[label] = File.join(dir, "#{label}.log")
          pid = Process.spawn(env.merge(proc_.env), RbConfig.ruby, "-I", LIB,
                              File.join(EXAMPLES, proc_.script), *proc_.args,
                              in: File::NULL, %i[out err] => [logs[label], "w"], pgroup: true)
          running[pid] = label
        end
      end
      begin
        group.processes.reject(&:client).each(&spawn)
        sleep client_delay
        group.processes.select(&:client).each(&spawn)
        error = wait_all(running, statuses, deadline)
        error ||= failed(statuses)
      ensure
        kill_all(running, statuses)
      end
      outputs = logs.transform_values { |path| File.exist?(path) ? File.read(path) : "" }
      Result.new(name: name, ok: error.nil?, outputs: outputs, statuses: statuses, error: error,
                 seconds: (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).round(2))
    end
  end

  # Reaps processes until none is left or the deadline passes (then returns an error).
  def wait_all(running, statuses, deadline)
    until running.empty?
      if (pid, status = Process.wait2(-1, Process::WNOHANG)) && running.key?(pid)
        statuses[running.delete(pid)] = status
        next
      end
      return "still running after the deadline: #{running.values.join(', ')}" if clock > deadline

      sleep 0.05
    end
    nil
  end

  def failed(statuses)
    bad = statuses.reject { |_, status| status.success? }
    bad.empty? ? nil : "failed: #{bad.map { |label, st| "#{label} (#{st})" }.join(', ')}"
  end

  # TERM, then KILL after a grace period, to every process (group) still running.
  def kill_all(running, statuses)
    signal_all(running, :TERM)
    grace = clock + 2
    until running.empty? || clock > grace
      running.keys.each do |pid|
        (statuses[running.delete(pid)] = $?) if Process.wait(pid, Process::WNOHANG) # rubocop:disable Style/SpecialGlobalVars
      end
      sleep 0.05
    end
    signal_all(running, :KILL)
    running.each_key { |pid| Process.wait(pid) rescue Errno::ECHILD } # rubocop:disable Style/RescueModifier
    running.clear
  end

  def signal_all(running, signal)
    running.each_key do |pid|
      Process.kill(signal, -pid) # its process group: the example and any child it spawned
    rescue Errno::ESRCH, Errno::EPERM
      nil
    end
  end

  def clock
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end

if $PROGRAM_NAME == __FILE__
  $stdout.sync = true
  names = ARGV.empty? ? ExampleGroups::GROUPS.map(&:name) : ARGV
  names = names.flat_map do |name|
    name == "zguide" && ExampleGroups.load_zguide ? ExampleGroups.zguide_groups.map(&:name) : name
  end
  failures = []
  names.each do |name|
    result = ExampleGroups.run(name)
    puts "== #{name}: #{result.ok ? 'ok' : "FAILED (#{result.error})"} in #{result.seconds} s"
    result.outputs.each do |label, output|
      puts "-- #{label} (#{result.statuses[label] || 'killed'})"
      puts output.lines.first(15).join
      puts "   ... (#{output.lines.size - 15} more lines)" if output.lines.size > 15
    end
    failures << name unless result.ok
  end
  puts(failures.empty? ? "demo: all #{names.size} groups passed" : "demo: FAILED: #{failures.join(', ')}")
  exit(failures.empty? ? 0 : 1)
end
