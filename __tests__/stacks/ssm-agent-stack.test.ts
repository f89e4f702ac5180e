import { buildTestStacks, synthJson } from "../helpers";

describe("ssm-agent-installer-daemonset-stack (stacks/ssm-agent-stack.ts)", () => {
  it("matches the reviewed plan", () => {
    expect(synthJson(buildTestStacks({ SSM_AGENT_INSTALLER: "true" }).ssmAgent)).toMatchSnapshot();
  });
});
