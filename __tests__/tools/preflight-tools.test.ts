import { floorOf, NODE_ENGINES, nodeLine, satisfies } from "../../tools/preflight-tools";

describe("the node check: package.json engines, read once", () => {
  it("refuses a Node older than the floor, naming it and where it is declared", () => {
    expect(nodeLine("22.12.0")).toEqual({
      status: "problem",
      subject: "node",
      message: `Node.js 22.12.0 is older than 22.19.0, the oldest this project runs on (package.json engines: ${NODE_ENGINES}): upgrade it (https://nodejs.org/en/download)`,
    });
    expect(nodeLine("20.19.5").status).toBe("problem");
  });

  it("passes the floor itself and the newest of each line", () => {
    expect(nodeLine("22.19.0")).toEqual({ status: "ok", subject: "node", message: "Node.js 22.19.0" });
    expect(nodeLine("22.22.1").status).toBe("ok");
    expect(nodeLine("24.0.0").status).toBe("ok");
  });

  it("warns of a Node outside the supported lines, newer than the floor", () => {
    expect(nodeLine("23.11.0")).toEqual({
      status: "warning",
      subject: "node",
      message: `Node.js 23.11.0 is not a line this project is tested on (package.json engines: ${NODE_ENGINES}): use Node.js 22 or 24`,
    });
    expect(nodeLine("26.1.0").status).toBe("warning");
  });
});

describe("satisfies and floorOf: npm ranges as package.json engines write them", () => {
  it.each([
    ["22.19.0", "^22.19 || ^24", true],
    ["22.18.9", "^22.19 || ^24", false],
    ["23.0.0", "^22.19 || ^24", false],
    ["24.5.1", "^22.19 || ^24", true],
    ["22.19.0", ">= 20.9.0", true],
    ["20.9.0", ">=22", false],
    ["22.0.0", "^18.14.0 || ^20.0.0 || ^22.0.0 || >=24.0.0", true],
    ["23.1.0", "^18.14.0 || ^20.0.0 || ^22.0.0 || >=24.0.0", false],
    ["22.3.0", "~22.2", false],
    ["22.2.9", "~22.2", true],
    ["22.2.9", ">=22 <22.3", true],
    ["22.19.0", "22", true],
    ["22.19.0", "22.19.0", true],
    ["22.19.1", "22.19.0", false],
  ])("%s in %s: %s", (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it("refuses a range it cannot read instead of guessing", () => {
    expect(() => satisfies("22.19.0", "22.x - 24")).toThrow('cannot read the version range "22.x - 24"');
  });

  it("finds the oldest version a range accepts", () => {
    expect(floorOf("^22.19 || ^24")).toBe("22.19.0");
    expect(floorOf(">=24 || ^22.12.3")).toBe("22.12.3");
  });
});
