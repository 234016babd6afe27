# frozen_string_literal: true

require_relative "support/zmq_helpers"

# Beacons talk over UDP broadcast on this machine's interface (the sandbox has eth0 with a
# broadcast address; ZSYS_INTERFACE=lo would use 127.255.255.255 instead). Each example
# uses its own UDP port so runs do not hear each other.
RSpec.describe ZMQ::Beacon do
  before { @beacons = [] }
  after { @beacons.each(&:destroy) }

  def beacon(port = @port ||= free_udp_port)
    ZMQ::Beacon.new(port).tap { |b| @beacons << b }
  end

  def free_udp_port
    UDPSocket.open { |s| s.bind("0.0.0.0", 0); s.local_address.ip_port }
  end

  # The next [sender, data] on the pipe, or nil after `ms`.
  def receive(b, ms = 3000)
    pipe = b.pipe
    pipe.rcvtimeo = ms
    sender = pipe.recv
    sender && [sender, (pipe.rcvmore? ? pipe.recv : :no_second_frame)]
  end

  it "is made on a port, needs no context, and destroy returns nil (twice is safe)" do
    b = ZMQ::Beacon.new(free_udp_port)
    expect(b).to be_an_instance_of(ZMQ::Beacon)
    expect(ZMQ.context).to be_nil
    expect(b.destroy).to be_nil
    expect(b.destroy).to be_nil
  end

  it "takes ports above 65535 as czmq does (truncated to 16 bits) and port 0 as any port" do
    expect(beacon(80_000).port).to eq(80_000 & 0xFFFF)
    expect(beacon(0).port).to be_between(1, 65_535)
  end

  it "checks argument types" do
    expect { ZMQ::Beacon.new(:invalid) }.to raise_error(TypeError, "wrong argument type Symbol (expected Integer)")
    b = beacon
    expect { b.interval = :invalid }.to raise_error(TypeError, "wrong argument type Symbol (expected Integer)")
    expect { b.publish(:invalid) }.to raise_error(TypeError, "wrong argument type Symbol (expected String)")
    expect { b.subscribe(:invalid) }.to raise_error(TypeError, "wrong argument type Symbol (expected String)")
  end

  it "refuses what czmq aborts on: empty or >255-byte beacons and filters, non-positive intervals" do
    b = beacon
    expect { b.publish("") }.to raise_error(ZMQ::Error, /1 to 255 bytes/)
    expect { b.publish("x" * 256) }.to raise_error(ZMQ::Error, /1 to 255 bytes/)
    expect { b.subscribe("x" * 256) }.to raise_error(ZMQ::Error, /at most 255 bytes/)
    expect { b.interval = 0 }.to raise_error(ZMQ::Error, /positive/)
    expect(b.publish("x" * 255)).to be_nil
  end

  it "has the host's interface address as hostname" do
    expect(Socket.ip_address_list.map(&:ip_address)).to include(beacon.hostname)
  end

  it "returns nil from interval=, noecho, publish, silence, subscribe and unsubscribe" do
    b = beacon
    expect(b.__send__(:interval=, 100)).to be_nil
    expect(b.noecho).to be_nil
    expect(b.publish("test")).to be_nil
    expect(b.silence).to be_nil
    expect(b.subscribe("test")).to be_nil
    expect(b.subscribe(nil)).to be_nil
    expect(b.unsubscribe).to be_nil
  end

  it "raises ZMQ::Error for any call after destroy" do
    b = ZMQ::Beacon.new(free_udp_port)
    b.destroy
    %i[hostname port noecho silence unsubscribe pipe].each do |name|
      expect { b.public_send(name) }.to raise_error(ZMQ::Error, /ZMQ::Beacon instance 0x\h+ has been destroyed/)
    end
    expect { b.publish("x") }.to raise_error(ZMQ::Error, /destroyed/)
    expect { b.interval = 10 }.to raise_error(ZMQ::Error, /destroyed/)
  end

  describe "#pipe" do
    it "is a new BOUND ZMQ::Socket::Pair with no context on each call, and survives GC" do
      b = beacon
      first = b.pipe
      expect(first).to be_an_instance_of(ZMQ::Socket::Pair)
      expect(b.pipe).not_to equal(first)
      expect(first.state).to eq(ZMQ::Socket::BOUND)
      expect(first.__context).to be_nil
      first = nil # rubocop:disable Lint/UselessAssignment
      GC.start
      expect(b.pipe.recv_nonblock).to be_nil
    end

    it "closing one pipe object leaves the pipe working; option setters act on the pipe" do
      b = beacon
      b.pipe.close
      b.subscribe("")
      b.publish("still here")
      b.pipe.rcvtimeo = 3000
      pipe = b.pipe
      expect(pipe.rcvtimeo).to eq(3000)
      expect(pipe.recv).to eq(b.hostname)
      expect(pipe.recv).to eq("still here")
    end

    it "objects made before destroy raise ZMQ::Error afterwards" do
      b = ZMQ::Beacon.new(free_udp_port)
      pipe = b.pipe
      b.destroy
      expect { pipe.recv }.to raise_error(ZMQ::Error, /ZMQ::Socket instance 0x\h+ has been destroyed/)
    end
  end

  describe "discovery" do
    it "announces a service endpoint that a subscriber finds and uses (rbczmq's test)" do
      rep = ctx.socket(:REP)
      address = bind_any(rep, :tcp)
      service = beacon
      service.publish(address)
      client = beacon
      client.subscribe("tcp")
      sender, found = receive(client)
      expect(sender).to eq(service.hostname)
      expect(found).to eq(address)
      req = ctx.connect(:REQ, found)
      req.send("ping")
      expect(recv_within(rep)).to eq("ping")
    end

    it "delivers only beacons that start with the filter; noecho drops our own (czmq's selftest)" do
      node1 = beacon
      node2 = beacon
      node3 = beacon
      [node1, node2, node3].each { |n| n.interval = 50 }
      node1.noecho
      node1.publish("NODE/1")
      node2.publish("NODE/2")
      node3.publish("GARBAGE")
      node1.subscribe("NODE")
      got = Array.new(5) { receive(node1)&.last }
      expect(got.uniq).to eq(["NODE/2"])
      expect(node2.pipe.recv_nonblock).to be_nil # not subscribed
      expect(node3.pipe.recv_nonblock).to be_nil
    end

    it "without noecho hears itself; after unsubscribe nothing is delivered; silence stops sending" do
      b = beacon
      b.interval = 20
      b.subscribe(nil)
      b.publish("me")
      expect(receive(b)).to eq([b.hostname, "me"])
      b.unsubscribe
      drain(b.pipe)
      expect(receive(b, 200)).to be_nil

      listener = beacon
      listener.subscribe("")
      expect(receive(listener)&.last).to eq("me")
      b.silence
      # Beacons already in flight may still arrive; after a quiet drain nothing more comes.
      drain(listener.pipe)
      expect(receive(listener, 300)).to be_nil
    end

    it "speaks zbeacon's wire format: one raw UDP datagram per beacon, to the beacon port" do
      port = free_udp_port
      b = beacon(port)
      b.subscribe("")
      # A foreign zbeacon: a raw datagram broadcast from a plain UDP socket.
      UDPSocket.open do |udp|
        udp.setsockopt(Socket::SOL_SOCKET, Socket::SO_BROADCAST, true)
        udp.send("\x01\x02raw beacon".b, 0, "255.255.255.255", port)
      end
      sender, data = receive(b)
      expect(Socket.ip_address_list.map(&:ip_address)).to include(sender)
      expect(data).to eq("\x01\x02raw beacon".b)

      # ...and what a beacon sends is exactly the published bytes.
      sniffer = UDPSocket.new
      sniffer.setsockopt(Socket::SOL_SOCKET, Socket::SO_REUSEADDR, true)
      sniffer.setsockopt(Socket::SOL_SOCKET, Socket::SO_REUSEPORT, true)
      sniffer.bind("0.0.0.0", port)
      b.publish("\x00binary\xFF".b)
      expect(sniffer.wait_readable(3)).to be_truthy
      expect(sniffer.recvfrom(512).first).to eq("\x00binary\xFF".b)
    ensure
      sniffer&.close
    end

    it "works on loopback only with ZSYS_INTERFACE=lo (127.255.255.255)" do
      ENV["ZSYS_INTERFACE"] = "lo"
      a = beacon
      b = beacon
      expect(a.hostname).to eq("127.0.0.1")
      a.publish("local")
      b.subscribe("")
      expect(receive(b)).to eq(["127.0.0.1", "local"])
    ensure
      ENV.delete("ZSYS_INTERFACE")
    end

    it "raises ZMQ::Error when ZSYS_INTERFACE names no interface" do
      ENV["ZSYS_INTERFACE"] = "nosuch0"
      expect { ZMQ::Beacon.new(free_udp_port) }.to raise_error(ZMQ::Error, /no IPv4 interface nosuch0/)
    ensure
      ENV.delete("ZSYS_INTERFACE")
    end
  end

  it "destroy stops the agent thread" do
    before = Thread.list.select { |t| t.name == "zmq-rs beacon" }
    b = ZMQ::Beacon.new(free_udp_port)
    agent = (Thread.list.select { |t| t.name == "zmq-rs beacon" } - before).first
    b.destroy
    expect(agent.alive?).to be(false)
  end
end
