# frozen_string_literal: true

require_relative "support/zmq_helpers"

RSpec.describe "socket patterns" do
  ZmqHelpers::TRANSPORTS.each do |transport|
    context "over #{transport}" do
      it "REQ/REP: strict request and reply" do
        rep, req = pair_of(:REP, :REQ, transport)
        3.times do |i|
          expect(req.send("request #{i}")).to be(true)
          expect(recv_within(rep)).to eq("request #{i}")
          expect(rep.send("reply #{i}")).to be(true)
          expect(recv_within(req)).to eq("reply #{i}")
        end
      end

      it "REQ/REP: a REP serves several REQs in turn" do
        rep = ctx.socket(:REP)
        endpoint = bind_any(rep, transport)
        reqs = Array.new(3) { ctx.socket(:REQ).tap { |r| r.connect(endpoint) } }
        reqs.each_with_index { |r, i| r.send("from #{i}") }
        served = Array.new(3) do
          request = recv_within(rep)
          rep.send("re: #{request}")
          request
        end
        expect(served.sort).to eq(["from 0", "from 1", "from 2"])
        expect(reqs.map { |r| recv_within(r) }).to eq(["re: from 0", "re: from 1", "re: from 2"])
      end

      it "PUB/SUB: a subscriber gets only what matches its prefixes" do
        pub = ctx.socket(:PUB)
        sub = ctx.socket(:SUB)
        sub.subscribe("weather.")
        sub.subscribe("news")
        sub.connect(bind_any(pub, transport))
        expect(publish_until_received(pub, sub, "weather.sync")).to eq("weather.sync")
        pub.send("sports: dropped")
        pub.send("weather.paris sunny")
        pub.send("newsflash")
        pub.send("WEATHER. dropped (case)")
        pub.send("news")
        expect([recv_within(sub), recv_within(sub), recv_within(sub)])
          .to eq(["weather.paris sunny", "newsflash", "news"])
        expect(sub.poll(100)).to be(false)
      end

      it "PUB/SUB: unsubscribe stops a prefix, '' subscribes to everything" do
        pub = ctx.socket(:PUB)
        sub = ctx.socket(:SUB)
        sub.subscribe("a")
        sub.connect(bind_any(pub, transport))
        publish_until_received(pub, sub, "a-sync")
        sub.unsubscribe("a")
        sub.subscribe("")
        # The new subscription travels to the publisher; publish until it takes effect.
        expect(publish_until_received(pub, sub, "zzz")).to eq("zzz")
      end

      it "PUB/SUB: multipart messages are filtered on the first part and stay whole" do
        pub = ctx.socket(:PUB)
        sub = ctx.socket(:SUB)
        sub.subscribe("B")
        sub.connect(bind_any(pub, transport))
        publish_until_received(pub, sub, "B-sync")
        pub.sendm("A")
        pub.send("not for us")
        pub.sendm("B")
        pub.send("for us")
        expect(recv_within(sub)).to eq("B")
        expect(sub.rcvmore?).to be(true)
        expect(sub.recv).to eq("for us")
        expect(sub.rcvmore?).to be(false)
      end

      it "PUSH/PULL: messages go round-robin to every connected PULL" do
        push = ctx.socket(:PUSH)
        endpoint = bind_any(push, transport)
        pulls = Array.new(3) { ctx.socket(:PULL).tap { |p| p.connect(endpoint) } }
        # Wait until every PULL is attached: each must receive one of these probes.
        got = Hash.new { |h, k| h[k] = [] }
        i = 0
        wait_until(5, "not every PULL was attached") do
          push.send("probe #{i += 1}")
          pulls.each_with_index { |p, n| (m = p.recv_nonblock) && got[n] << m }
          got.size == 3
        end
        pulls.each { |p| drain(p) }
        30.times { |n| push.send("job #{n}") }
        counts = pulls.map do |p|
          c = 0
          c += 1 while p.poll(200) && p.recv_nonblock
          c
        end
        expect(counts.sum).to eq(30)
        expect(counts).to all(eq(10))
      end

      it "DEALER/ROUTER: the ROUTER sees [identity, body] and routes the reply back" do
        router = ctx.socket(:ROUTER)
        endpoint = bind_any(router, transport)
        dealers = %w[alpha beta].map do |id|
          ctx.socket(:DEALER).tap do |d|
            d.identity = id
            d.connect(endpoint)
          end
        end
        dealers.each { |d| d.send("hello from #{d.object_id}") }
        2.times do
          identity = recv_within(router)
          expect(router.rcvmore?).to be(true)
          body = router.recv
          expect(%w[alpha beta]).to include(identity)
          expect(router.sendm(identity)).to be(true)
          expect(router.send("reply to #{identity} (#{body.size})")).to be(true)
        end
        expect(recv_within(dealers[0])).to start_with("reply to alpha")
        expect(recv_within(dealers[1])).to start_with("reply to beta")
      end

      it "ROUTER/REQ: the envelope carries an empty delimiter" do
        router = ctx.socket(:ROUTER)
        req = ctx.socket(:REQ)
        req.identity = "req-1"
        req.connect(bind_any(router, transport))
        req.send("question")
        expect([recv_within(router), router.recv, router.recv]).to eq(["req-1", "", "question"])
        router.sendm("req-1")
        router.sendm("")
        router.send("answer")
        expect(recv_within(req)).to eq("answer")
      end

      it "XPUB/XSUB: subscriptions arrive as messages and filter what is published" do
        xpub = ctx.socket(:XPUB)
        xsub = ctx.socket(:XSUB)
        xsub.connect(bind_any(xpub, transport))
        xsub.send("\x01top")
        expect(recv_within(xpub)).to eq("\x01top".b)
        xpub.send("other")
        xpub.send("topic 1")
        expect(recv_within(xsub)).to eq("topic 1")
        xsub.send("\x00top")
        expect(recv_within(xpub)).to eq("\x00top".b)
      end

      it "XPUB/SUB: a SUB's subscribe reaches the XPUB" do
        xpub = ctx.socket(:XPUB)
        sub = ctx.socket(:SUB)
        sub.connect(bind_any(xpub, transport))
        sub.subscribe("x")
        expect(recv_within(xpub)).to eq("\x01x".b)
        xpub.send("xyz")
        expect(recv_within(sub)).to eq("xyz")
      end
    end
  end

  context "PAIR over inproc" do
    it "talks both ways" do
      a = ctx.socket(:PAIR)
      b = ctx.socket(:PAIR)
      a.bind("inproc://pair")
      b.connect("inproc://pair")
      a.send("a->b")
      b.send("b->a")
      expect(recv_within(b)).to eq("a->b")
      expect(recv_within(a)).to eq("b->a")
      a.sendm("1")
      a.send("2")
      expect([recv_within(b), b.rcvmore?, b.recv, b.rcvmore?]).to eq(["1", true, "2", false])
    end

    it "works with each end in its own thread" do
      a = ctx.socket(:PAIR)
      a.bind("inproc://pair-threads")
      t = Thread.new do
        b = ctx.socket(:PAIR)
        b.connect("inproc://pair-threads")
        b.send("from thread")
        reply = b.recv
        b.close
        reply
      end
      expect(recv_within(a)).to eq("from thread")
      a.send("back")
      expect(t.value).to eq("back")
    end
  end
end
