# frozen_string_literal: true

# What the two example-group specs share: `group(name) { ... }` runs one group of
# programs as processes (through examples/run_demo.rb's ExampleGroups) before its
# examples, checks every process exited cleanly, and gives the examples `output(label)`.
module ExampleGroupSpec
  def self.extended(spec)
    spec.include(Helpers)
  end

  # `plan`: what ExampleGroups.run takes (a group name, or a lambda making the group
  # definition, called only when the group runs, since it picks free ports).
  def group(name, timeout: 45, plan: name, &block)
    describe name do
      before(:all) do
        @result = ExampleGroups.run(plan.respond_to?(:call) ? plan.call : plan, timeout: timeout)
      end

      let(:result) { @result }

      it "runs every process to a clean exit" do
        expect(result.error).to be_nil, -> { "#{result.error}\n#{transcript(result)}" }
        expect(result.statuses.values).to all(be_success)
      end

      class_exec(&block)
    end
  end

  module Helpers
    def transcript(result)
      result.outputs.map { |label, out| "-- #{label} (#{result.statuses[label] || 'killed'})\n#{out}" }.join("\n")
    end

    def output(label)
      result.outputs.fetch(label)
    end
  end
end
