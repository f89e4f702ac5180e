import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { closeAll, startPods, startRouter, WALKTHROUGH_REPLICAS } from "./mesh";

const ROOT = path.join(__dirname, "..", "..", "..");
const TLS_FIXTURES = path.join(__dirname, "..", "..", "fixtures", "traffic", "tls");

afterAll(closeAll);

/** Runs `npx tsx tools/traffic/cli.ts ...argv` for its real exit code and output. */
function cli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  // Asynchronous on purpose: the servers answer from this process's event loop.
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      "npx",
      ["tsx", "tools/traffic/cli.ts", ...argv],
      { cwd: ROOT, timeout: 30_000, env },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

test("`npx tsx tools/traffic/cli.ts count --json` against a skewed gateway exits 1 with one JSON object", async () => {
  const pods = await startPods(WALKTHROUGH_REPLICAS);
  const skewed = await startRouter(pods, { weights: { v1: 70, v2: 10, v3: 10, v4: 10 } });
  const { code, stdout, stderr } = await cli([
    "count",
    "--url",
    skewed,
    "--expect",
    "v1=50,v2=30,v3=15,v4=5",
    "--json",
  ]);
  expect(stderr).toBe("");
  expect(code).toBe(1);
  expect(JSON.parse(stdout)).toMatchObject({ total: 100, consistent: false, exitCode: 1 });
});

test("an https:// gateway whose certificate the process trusts (NODE_EXTRA_CA_CERTS) is counted over TLS", async () => {
  let connections = 0;
  const server = https.createServer(
    {
      key: readFileSync(path.join(TLS_FIXTURES, "key.pem")),
      cert: readFileSync(path.join(TLS_FIXTURES, "cert.pem")),
    },
    (_request, response) => response.end("shopfront-v1-0:v1\n"),
  );
  server.on("secureConnection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const { code, stdout, stderr } = await cli(
      ["count", "--url", url, "--expect", "v1=100", "-n", "50", "-c", "5", "--json"],
      { ...process.env, NODE_EXTRA_CA_CERTS: path.join(TLS_FIXTURES, "cert.pem") },
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ url, total: 50, errors: 0, versions: { v1: 50 } });
    // Kept alive: one TLS handshake per connection, not per request.
    expect(connections).toBe(5);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
