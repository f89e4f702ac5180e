import { buildTestStacks, synthJson } from "../helpers";

describe("eks-cluster-stack (stacks/cluster-stack.ts)", () => {
  it("matches the reviewed plan", () => {
    expect(synthJson(buildTestStacks().cluster)).toMatchSnapshot();
  });
});
