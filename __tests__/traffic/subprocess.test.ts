import { execFile } from "node:child_process";
import path from "node:path";
import { closeAll, startPods, startRouter, WALKTHROUGH_REPLICAS } from "./mesh";

const ROOT = path.join(__dirname, "..", "..");

afterAll(closeAll);

test("`npx tsx tools/traffic/cli.ts count --json` against a skewed gateway exits 1 with one JSON object", async () => {
  const pods = await startPods(WALKTHROUGH_REPLICAS);
  const skewed = await startRouter(pods, { weights: { v1: 70, v2: 10, v3: 10, v4: 10 } });
  // Asynchronous on purpose: the gateway answers from this process's event loop.
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      const child = execFile(
        "npx",
        [
          "tsx",
          "tools/traffic/cli.ts",
          "count",
          "--url",
          skewed,
          "--expect",
          "v1=50,v2=30,v3=15,v4=5",
          "--json",
        ],
        { cwd: ROOT, timeout: 30_000 },
        (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
      );
    },
  );
  expect(stderr).toBe("");
  expect(code).toBe(1);
  expect(JSON.parse(stdout)).toMatchObject({ total: 100, consistent: false, exitCode: 1 });
});
