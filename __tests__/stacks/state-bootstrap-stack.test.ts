import { buildTestStacks, synthJson } from "../helpers";

describe("tf-state-bootstrap (stacks/state-bootstrap-stack.ts)", () => {
  it("matches the reviewed plan", () => {
    expect(
      synthJson(buildTestStacks({ STATE_BUCKET: "acme-shopfront-tfstate" }).bootstrap),
    ).toMatchSnapshot();
  });
});
