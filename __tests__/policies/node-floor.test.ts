import { readFileSync } from "node:fs";
import path from "node:path";
import { floorOf, NODE_ENGINES, satisfies } from "../../tools/preflight-tools";

/**
 * One Node.js floor: package.json `engines` declares it, preflight reads it from there, and every
 * package the project runs and every page that names it agrees.
 */
const root = path.resolve(__dirname, "..", "..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");
const manifest = JSON.parse(read("package.json"));
const floor = floorOf(NODE_ENGINES);
const [major, minor] = floor.split(".");
/** The oldest release of each line that engines accepts: 22.19.0 and 24.0.0, say. */
const lineFloors = NODE_ENGINES.split("||").map((alternative) => floorOf(alternative));

describe("the Node.js floor", () => {
  it("is where package.json's engines puts it, on the 22 and 24 lines", () => {
    expect(lineFloors.map((version) => version.split(".")[0])).toEqual(["22", "24"]);
  });

  it.each([...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)])(
    "lets %s run on the oldest release of each line",
    (name) => {
      const engines: string | undefined = JSON.parse(read(`node_modules/${name}/package.json`)).engines?.node;
      const refused = lineFloors.filter((version) => engines !== undefined && !satisfies(version, engines));
      expect({ name, engines, refused }).toEqual({ name, engines, refused: [] });
    },
  );

  it.each([
    ["README.md", new RegExp(`Node\\.js\\]\\([^)]*\\) ${major}\\.${minor} or later`)],
    ["docs/versions.md", new RegExp(`\\*\\*Node\\.js ${major}\\.${minor} or later`)],
    ["docs/traffic.md", new RegExp(`needs Node ${major}\\.${minor} or later`)],
    ["tools/traffic/launch.js", new RegExp(`major === ${major} && minor < ${minor}\\b`)],
  ])("is the one %s names", (file, floorNamed) => {
    expect(read(file)).toMatch(floorNamed);
  });
});
