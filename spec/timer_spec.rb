# frozen_string_literal: true

# ZMQ::Timer (rbczmq-api.md sections 2.10 and 4 item 14); the loop's use of timers is in
# loop_spec.rb.
RSpec.describe ZMQ::Timer do
  it "needs a callback: a proc, a block or any object with call" do
    expect { ZMQ::Timer.new(1, 2) }.to raise_error(ArgumentError, "no callback given!")
    expect(ZMQ::Timer.new(1, 2, proc { :fired })).to be_a(ZMQ::Timer)
    expect(ZMQ::Timer.new(1, 2) { :fired }).to be_a(ZMQ::Timer)
    callable = Object.new
    def callable.call(*args) = [:called, *args]
    expect(ZMQ::Timer.new(0.5, 1, callable).call(1)).to eq([:called, 1])
  end

  it "uses the proc when given both a proc and a block" do
    expect(ZMQ::Timer.new(1, 1, proc { :proc }) { :block }.fire).to eq(:proc)
  end

  it "takes the delay in seconds (Integer or Float), truncated to whole ms" do
    expect(ZMQ::Timer.new(1, 1) { nil }.__delay_ms).to eq(1000)
    expect(ZMQ::Timer.new(0.1, 1) { nil }.__delay_ms).to eq(100)
    expect(ZMQ::Timer.new(0.0019, 1) { nil }.__delay_ms).to eq(1)
    expect(ZMQ::Timer.new(0, 0) { nil }.__times).to eq(0)
  end

  it "refuses a delay that is not a number, and times that is not an Integer" do
    expect { ZMQ::Timer.new("1", 1) { nil } }.to raise_error(TypeError, "wrong delay type 1 (expected Fixnum or Float)")
    expect { ZMQ::Timer.new(nil, 1) { nil } }.to raise_error(TypeError, /wrong delay type  \(expected/)
    expect { ZMQ::Timer.new(1, 1.5) { nil } }.to raise_error(TypeError, "wrong argument type Float (expected Integer)")
    expect { ZMQ::Timer.new(1, nil) { nil } }.to raise_error(TypeError, "wrong argument type nil (expected Integer)")
  end

  it "fire and call run the callback at once with the arguments given and return its value" do
    timer = ZMQ::Timer.new(1, 2) { |arg = nil| arg || :fired }
    expect(timer.fire).to eq(:fired)
    expect(timer.call).to eq(:fired)
    expect(timer.fire(:arg)).to eq(:arg)
    expect(timer.call(:other)).to eq(:other)
  end

  it "cancel returns nil; firing a cancelled timer raises ZMQ::Error" do
    timer = ZMQ::Timer.new(1, 2) { :fired }
    expect(timer.cancel).to be_nil
    expect { timer.fire }.to raise_error(ZMQ::Error, "cannot fire timer, already cancelled!")
    expect { timer.call }.to raise_error(ZMQ::Error, "cannot fire timer, already cancelled!")
  end

  it "on_error re-raises the exception" do
    timer = ZMQ::Timer.new(1, 2) { :fired }
    error = RuntimeError.new("boom")
    expect { timer.on_error(error) }.to raise_error(error)
  end

  it "can be subclassed (new builds the subclass) to override on_error" do
    sub = Class.new(ZMQ::Timer) { def on_error(e) = e.message }
    timer = sub.new(1, 1) { nil }
    expect(timer).to be_a(sub)
    expect(timer.on_error(RuntimeError.new("kept"))).to eq("kept")
  end

  it "keeps its callback alive for the GC" do
    timer = ZMQ::Timer.new(1, 1, proc { "still here".dup })
    GC.start
    expect(timer.fire).to eq("still here")
  end
end
