import { buildTestStacks, synthJson } from "../helpers";

describe("eks-cluster-vpc-stack (stacks/network-stack.ts)", () => {
  it("matches the reviewed plan", () => {
    expect(synthJson(buildTestStacks().network)).toMatchSnapshot();
  });
});
