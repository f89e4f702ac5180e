/**
 * `npm run traffic -- mirror --prometheus <url>` against the loopback mesh: the edge gateway mirrors a
 * share of the requests to a version (edge.ts), its pods count what they receive, and a stand-in
 * Prometheus scrapes those counts every 100 ms and answers the tool's query.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { MirrorSummary } from "../../../tools/traffic/mirror";
import { traffic } from "../../traffic-run";
import {
  type CountingPod,
  receivedByVersion,
  startCountingPods,
  startEdgeGateway,
  startPrometheus,
} from "./edge";
import { closeAll, deadPort, listen, WALKTHROUGH_REPLICAS, WALKTHROUGH_WEIGHTS } from "./mesh";

let project: string;
let pods: CountingPod[];
let prometheus: string;
/** Requests that another client sends to v1 behind the tool's back, as Prometheus counts them. */
let stray = 0;
/** Stray requests to count once the tool has read its starting counts (its first query answered). */
let strayAfterFirstQuery = 0;
beforeAll(async () => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-mirror-"));
  fs.cpSync("manifests", path.join(project, "manifests"), { recursive: true });
  pods = await startCountingPods(WALKTHROUGH_REPLICAS);
  prometheus = await startPrometheus(
    () => {
      const counts = receivedByVersion(pods);
      return { ...counts, v1: counts.v1 + stray };
    },
    100,
    () => {
      stray += strayAfterFirstQuery;
      strayAfterFirstQuery = 0;
    },
  );
});
afterAll(async () => {
  await closeAll();
  fs.rmSync(project, { recursive: true, force: true });
});

const SETTLE = ["--settle", "300ms"];

async function mirror(url: string, env: Record<string, string>, ...flags: string[]) {
  const run = await traffic(
    ["mirror", "--url", url, "--prometheus", prometheus, "--json", ...SETTLE, ...flags],
    {
      env,
      cwd: project,
    },
  );
  return { code: run.code, summary: JSON.parse(run.stdout || "null") as MirrorSummary, stderr: run.stderr };
}

const gateway = (mirrorPercent?: number) =>
  startEdgeGateway(pods, {
    weights: WALKTHROUGH_WEIGHTS,
    seed: 17,
    ...(mirrorPercent === undefined ? {} : { mirror: { version: "v4", percent: mirrorPercent } }),
  });

describe("mirror", () => {
  it("v4@20 on a gateway that mirrors 20% to v4: v4 received its answers and about a fifth of the requests more", async () => {
    const { code, summary } = await mirror(
      await gateway(20),
      { SHOPFRONT_MIRROR: "v4@20" },
      "--requests",
      "400",
    );
    expect(summary.routed).toBe(400);
    expect(summary.received.v4).toBe(summary.answers.v4 + summary.mirrored);
    expect(summary.received.v1).toBe(summary.answers.v1);
    expect(summary.mirrored).toBeGreaterThan(50);
    expect(summary).toMatchObject({
      consistent: true,
      source: "SHOPFRONT_MIRROR, manifests/routing-istio/shopfront-mesh.yaml",
    });
    expect(code).toBe(0);
  });

  it("v4@20 on a gateway that mirrors nothing: inconsistent", async () => {
    const { code, summary } = await mirror(
      await gateway(),
      { SHOPFRONT_MIRROR: "v4@20" },
      "--requests",
      "200",
    );
    expect(summary.mirrored).toBe(0);
    expect(summary.problems).toEqual([
      expect.stringMatching(
        /^the mirrored share is inconsistent with v4 on 20%: 0 of 200, p < 1e-12 < --alpha 0\.01$/,
      ),
    ]);
    expect(code).toBe(1);
  });

  it("prints the counts per version and the verdict", async () => {
    const run = await traffic(
      ["mirror", "--url", await gateway(20), "--prometheus", prometheus, ...SETTLE, "-n", "200"],
      {
        env: { SHOPFRONT_MIRROR: "v4@20" },
        cwd: project,
      },
    );
    expect(run.stdout).toMatch(/^version {2}answered {2}received {2}mirrored$/m);
    expect(run.stdout).toMatch(/^v4 +\d+ +\d+ +\d+$/m);
    expect(run.stdout).toMatch(
      /^mirrored to v4: \d+ of 200 requests that reached the router \([\d.]+%\), p = [\d.]+ \(alpha 0\.01\)$/m,
    );
    expect(run.stdout).toContain("verdict: OK, v4 received the configured share of mirrored requests\n");
  });

  it("refuses to judge a run that other traffic reached: exit 2", async () => {
    const url = await gateway(20);
    const run = traffic(
      ["mirror", "--url", url, "--prometheus", prometheus, "--json", ...SETTLE, "-n", "100"],
      {
        env: { SHOPFRONT_MIRROR: "v4@20" },
        cwd: project,
      },
    );
    // Counted only after the tool read its starting counts: added at once, a loaded machine could
    // let a scrape take them into the starting counts before the tool's first query (seen in CI).
    strayAfterFirstQuery = 30;
    const { code, stderr } = await run;
    expect(stderr).toMatch(
      /^error: other traffic reached the shopfront during the run \(v1 received 30 more than it answered\)/,
    );
    expect(code).toBe(2);
  });

  it("waits no longer than --scrape-wait for a Prometheus that never counts the run", async () => {
    const frozen = await startPrometheus(() => ({ v1: 0, v2: 0, v3: 0, v4: 0 }), 3_600_000);
    const run = await traffic(
      [
        "mirror",
        "--url",
        await gateway(20),
        "--prometheus",
        frozen,
        "--scrape-wait",
        "400ms",
        "-n",
        "20",
        ...SETTLE,
      ],
      { env: { SHOPFRONT_MIRROR: "v4@20" }, cwd: project },
    );
    expect(run.stderr).toMatch(
      /^error: Prometheus at http:\/\/127\.0\.0\.1:\d+\/ had not counted the run after --scrape-wait \(v1 0 of \d+/,
    );
    expect(run.code).toBe(2);
  });
});

describe("mirror refuses what it cannot measure, before sending anything", () => {
  it.each([
    [
      {},
      /^error: no mirror is configured \(from manifests\/routing-istio\/shopfront-mesh\.yaml\): set SHOPFRONT_MIRROR as it was deployed/,
    ],
    [
      { SHOPFRONT_MIRROR: "v4@20", MESH_MODE: "ambient" },
      /^error: MESH_MODE=ambient: no destination reports request metrics/,
    ],
  ])("%o", async (env, message) => {
    const run = await traffic(["mirror", "--url", "http://127.0.0.1:9/", "--prometheus", prometheus], {
      env,
      cwd: project,
    });
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
  });

  it("a Prometheus that does not answer", async () => {
    const port = await deadPort();
    const run = await traffic(
      ["mirror", "--url", "http://127.0.0.1:9/", "--prometheus", `http://127.0.0.1:${port}`],
      {
        env: { SHOPFRONT_MIRROR: "v4@20" },
        cwd: project,
      },
    );
    expect(run.stderr).toBe(`error: cannot query Prometheus at http://127.0.0.1:${port}/: ECONNREFUSED\n`);
    expect(run.code).toBe(2);
  });

  it("a Prometheus that refuses the query", async () => {
    const port = await listen(
      http.createServer((_request, response) =>
        response
          .writeHead(400)
          .end(JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error" })),
      ),
    );
    const run = await traffic(
      ["mirror", "--url", "http://127.0.0.1:9/", "--prometheus", `http://127.0.0.1:${port}`],
      {
        env: { SHOPFRONT_MIRROR: "v4@20" },
        cwd: project,
      },
    );
    expect(run.stderr).toMatch(
      /^error: Prometheus at http:\/\/127\.0\.0\.1:\d+\/ refused the query sum by \(destination_version\) .*: bad_data: parse error\n$/,
    );
    expect(run.code).toBe(2);
  });
});
