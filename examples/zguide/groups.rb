# frozen_string_literal: true

# The zguide examples as process groups for examples/run_demo.rb's runner: each group's
# servers start first, then its clients; every process must exit 0 before the deadline,
# and whatever still runs is killed. Ports are fresh for every run (through the
# environment).
#
#   ruby examples/run_demo.rb zguide            # every group below
#   ruby examples/run_demo.rb zguide/lbbroker   # one of them
#
# interrupt.rb is not a group: it waits for a Ctrl-C, which spec/examples/zguide_spec.rb
# sends it.

require_relative "../run_demo" unless defined?(ExampleGroups::GROUPS) # run_demo.rb may be the main script

module ExampleGroups
  module_function

  # Builds the groups anew on every call: the weather proxy's downstream port is picked
  # here, since its client must be told that port under the name it reads (WU_PORT),
  # while the proxy itself reads WU_PORT as its upstream.
  def zguide_groups
    proxy_port = free_ports(1).first.to_s
    z = ->(script) { "zguide/#{script}.rb" }
    rr = lambda do |broker|
      Group.new(name: "zguide/#{broker}", ports: %w[RR_FRONTEND_PORT RR_BACKEND_PORT],
                processes: [server(z[broker], "10"),
                            server(z["rrworker"], env: { "IDLE_MS" => "3000" }, copies: 2),
                            client(z["rrclient"], "5", copies: 2)])
    end
    reader = lambda do |name|
      Group.new(name: "zguide/#{name}", ports: %w[WU_PORT TASK_VENT_PORT TASK_SINK_PORT],
                processes: [server(z["wuserver"], "4"), server(z[name], "50", "20"),
                            client(z["taskvent"], "50", env: { "START_DELAY_MS" => "700" })])
    end
    [
      Group.new(name: "zguide/hello", ports: %w[HW_PORT],
                processes: [server(z["hwserver"], "10"), client(z["hwclient"], "10")]),
      Group.new(name: "zguide/weather", ports: %w[WU_PORT],
                processes: [server(z["wuserver"], "3"), client(z["wuclient"], "10001", "20")]),
      Group.new(name: "zguide/tasks", ports: %w[TASK_VENT_PORT TASK_SINK_PORT],
                processes: [server(z["tasksink"], "50"),
                            server(z["taskwork"], env: { "IDLE_MS" => "3000" }, copies: 3),
                            client(z["taskvent"], "50", env: { "START_DELAY_MS" => "700" })]),
      Group.new(name: "zguide/tasks2", ports: %w[TASK_VENT_PORT TASK_SINK_PORT TASK_CTRL_PORT],
                processes: [server(z["tasksink2"], "50"),
                            server(z["taskwork2"], copies: 3),
                            client(z["taskvent"], "50", env: { "START_DELAY_MS" => "700" })]),
      rr["rrbroker"],
      rr["rrbroker2"],
      rr["rrbroker3"],
      rr["msgqueue"],
      reader["msreader"],
      reader["mspoller"],
      reader["mspoller2"],
      Group.new(name: "zguide/mtrelay", ports: [], processes: [client(z["mtrelay"])]),
      Group.new(name: "zguide/identity", ports: [], processes: [client(z["identity"])]),
      Group.new(name: "zguide/rtreq", ports: %w[RT_PORT], processes: [client(z["rtreq"], "5", "1")]),
      Group.new(name: "zguide/rtdealer", ports: %w[RT_PORT], processes: [client(z["rtdealer"], "5", "1")]),
      Group.new(name: "zguide/lbbroker", ports: [], processes: [client(z["lbbroker"], "10", "3")]),
      Group.new(name: "zguide/lbbroker2", ports: [], processes: [client(z["lbbroker2"], "10", "3")]),
      Group.new(name: "zguide/lbbroker3", ports: [], processes: [client(z["lbbroker3"], "10", "3")]),
      Group.new(name: "zguide/sync", ports: %w[SYNC_PUB_PORT SYNC_REP_PORT],
                processes: [server(z["syncpub"], "3", "100000"), client(z["syncsub"], copies: 3)]),
      Group.new(name: "zguide/psenv", ports: %w[PSENV_PORT],
                processes: [server(z["psenvpub"], "30"), client(z["psenvsub"], "5")]),
      Group.new(name: "zguide/wuproxy", ports: %w[WU_PORT],
                processes: [server(z["wuserver"], "3"),
                            server(z["wuproxy"], env: { "WU_PROXY_PORT" => proxy_port }),
                            client(z["wuclient"], "10002", "20", env: { "WU_PORT" => proxy_port })]),
    ]
  end

  def zguide_group(name)
    zguide_groups.find { |g| g.name == name }
  end
end
