import { EventEmitter } from "node:events";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { ingressAuthentication } from "../../../modules/shopfront/authentication";
import { type Host, main } from "../../../tools/traffic/cli";
import type { CountSummary, LoadSummary, PodsSummary } from "../../../tools/traffic/verdict";
import { traffic } from "../../traffic-run";
import { type IdentityProvider, identityProvider } from "./identity-provider";
import { closeJwtGateways, startJwtGateway } from "./jwt-gateway";
import {
  closeAll,
  type Death,
  deadPort,
  type Pod,
  startClosingServer,
  startDroppingServer,
  startDyingServer,
  startFixedServer,
  startPods,
  startRouter,
  startSilentServer,
  WALKTHROUGH_REPLICAS,
  WALKTHROUGH_WEIGHTS,
} from "./mesh";

const FIXTURE_MESH = path.join(
  __dirname,
  "..",
  "..",
  "fixtures",
  "traffic",
  "manifests",
  "routing-istio",
  "shopfront-mesh.yaml",
);
const EXPECT = "v1=50,v2=30,v3=15,v4=5";

let pods: Pod[];
/**
 * Gateways splitting 50/30/15/5 and 70/10/10/10, round robin within each version. A test that
 * asserts exact counts starts its own `fairGateway()`, so that it starts at the top of the cycle.
 */
let fair: string;
let skewed: string;
/** A gateway that sends every request of a version to the same pod. */
let sticky: string;
let dead: string;

beforeAll(async () => {
  pods = await startPods(WALKTHROUGH_REPLICAS);
  fair = await startRouter(pods, { weights: WALKTHROUGH_WEIGHTS });
  skewed = await startRouter(pods, { weights: { v1: 70, v2: 10, v3: 10, v4: 10 } });
  sticky = await startRouter(pods, { weights: WALKTHROUGH_WEIGHTS, podPolicy: "first" });
  dead = `http://127.0.0.1:${await deadPort()}/`;
});
afterAll(closeAll);

const fairGateway = () => startRouter(pods, { weights: WALKTHROUGH_WEIGHTS });

describe("count", () => {
  test("a fair gateway passes, and --json prints the counts, the weights, the p-value and latencies", async () => {
    const { code, stdout, stderr } = await traffic([
      "count",
      "--url",
      await fairGateway(),
      "--expect",
      EXPECT,
      "-n",
      "200",
      "--json",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as CountSummary;
    expect(summary).toMatchObject({
      total: 200,
      errors: 0,
      versions: { v1: 100, v2: 60, v3: 30, v4: 10 },
      expected: WALKTHROUGH_WEIGHTS,
      consistent: true,
      exitCode: 0,
    });
    expect(summary.pValue).toBeGreaterThanOrEqual(0.01);
    expect(Object.keys(summary.pods)).toHaveLength(7);
    expect(summary.pods["shopfront-v2-5d8f7c9b6-1"]).toBe(30);
    for (const version of ["v1", "v2", "v3", "v4"]) {
      const { p50, p95, p99 } = summary.latencyMs[version];
      expect(0 < p50 && p50 <= p95 && p95 <= p99).toBe(true);
    }
  });

  test("the human report has a bar per version, pods, latency percentiles, the verdict and the sample size", async () => {
    const { code, stdout, stderr } = await traffic([
      "count",
      "--url",
      await fairGateway(),
      "--expect",
      EXPECT,
    ]);
    expect(code).toBe(0);
    // No terminal, no progress bar.
    expect(stderr).toBe("");
    expect(stdout).toMatch(/^v1 +50 +50\.0% +50% +█{20}$/m);
    expect(stdout).toMatch(/^v4 +5 +5\.0% +5% +██$/m);
    expect(stdout).toMatch(/^shopfront-v2-5d8f7c9b6-0 +v2 +15$/m);
    expect(stdout).toMatch(/^latency \(ms\) +answers +p50 +p95 +p99$/m);
    expect(stdout).toContain("errors: none");
    expect(stdout).toMatch(/p = 1\.0000 \(alpha 0\.01\)/);
    expect(stdout).toContain("±1 percentage point on v4 (5%) at 95% confidence needs 1825 requests");
    expect(stdout).toContain("verdict: OK");
  });

  test("a progress bar goes to stderr on a terminal only, and --json keeps stdout to the JSON", async () => {
    const { stdout, stderr } = await traffic(["count", "--url", fair, "--expect", EXPECT, "--json"], {
      tty: true,
    });
    expect(stderr.startsWith("\r\x1b[K")).toBe(true);
    expect(stderr).toMatch(/\[[█ ]{20}\] \d+\/100 requests, 0 errors/);
    expect(() => JSON.parse(stdout)).not.toThrow();
  });

  test("a skewed gateway (70/10/10/10 against 50/30/15/5) is flagged with exit 1", async () => {
    const { code, stdout } = await traffic([
      "count",
      "--url",
      skewed,
      "--expect",
      EXPECT,
      "-n",
      "200",
      "--json",
    ]);
    expect(code).toBe(1);
    const summary = JSON.parse(stdout) as CountSummary;
    expect(summary.consistent).toBe(false);
    expect(summary.pValue).toBeLessThan(1e-6);
    expect(summary.problems[0]).toMatch(
      /^the split is inconsistent with the expected weights: p = .* < --alpha 0\.01$/,
    );
  });

  test("a p-value below 1e-12 reads `p < 1e-12`, in the test line and the verdict", async () => {
    const { code, stdout } = await traffic(["count", "--url", skewed, "--expect", EXPECT, "-n", "400"]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^chi-square [\d.]+, 3 degrees of freedom, p < 1e-12 \(alpha 0\.01\)$/m);
    expect(stdout).toContain("the split is inconsistent with the expected weights: p < 1e-12 < --alpha 0.01");
  });

  test("without --expect, SHOPFRONT_WEIGHTS sets the expected split", async () => {
    const { code, stdout } = await traffic(["count", "--url", skewed, "--json"], {
      env: { SHOPFRONT_WEIGHTS: "v1=70,v2=10,v3=10,v4=10" },
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ expectedSource: "SHOPFRONT_WEIGHTS", expected: { v1: 70 } });
  });

  test("without --expect or SHOPFRONT_WEIGHTS, the VirtualService in --manifests sets it", async () => {
    const { code, stdout } = await traffic(["count", "--url", fair, "--manifests", FIXTURE_MESH, "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ expectedSource: FIXTURE_MESH, expected: WALKTHROUGH_WEIGHTS });
  });

  test("GATEWAY_URL, as a bare host:port, is the target when --url is not given", async () => {
    const { code, stdout } = await traffic(["count", "--expect", EXPECT, "--json"], {
      env: { GATEWAY_URL: new URL(fair).host },
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ url: fair, urlSource: "GATEWAY_URL" });
  });

  test("a dead port exits 2 at once, with one line naming the URL and the cause", async () => {
    const { code, stdout, stderr, ms } = await traffic(["count", "--url", dead, "--expect", EXPECT]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`error: cannot reach ${dead}: ECONNREFUSED (no answer to 10 requests)\n`);
    expect(ms).toBeLessThan(2000);
  });

  test("a target that never answers exits 2 after one --timeout, not after every request's", async () => {
    const silent = await startSilentServer();
    const { code, stderr, ms } = await traffic([
      "count",
      "--url",
      silent,
      "--expect",
      EXPECT,
      "--timeout",
      "200ms",
    ]);
    expect(code).toBe(2);
    expect(stderr).toBe(`error: cannot reach ${silent}: timeout (no answer to 10 requests)\n`);
    expect(ms).toBeLessThan(1500);
  });

  test("--max-time bounds the whole run even when each request may take longer", async () => {
    const silent = await startSilentServer();
    const { code, stdout, ms } = await traffic([
      ...["count", "--url", silent, "--expect", EXPECT, "--timeout", "1m", "--max-time", "300ms", "--json"],
    ]);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ stopped: "max-time", errorCauses: { "max-time": 10 } });
    // Far under the 1 minute a request may take; slack for a loaded test machine.
    expect(ms).toBeLessThan(5000);
  });

  test("a body that is not <pod>:<version> is an error `bad body`, not a crash", async () => {
    const hello = await startFixedServer("hello world");
    const { code, stdout } = await traffic([
      "count",
      "--url",
      hello,
      "--expect",
      EXPECT,
      "-n",
      "20",
      "--json",
    ]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ total: 20, errors: 20, errorCauses: { "bad body": 20 } });
  });

  test("errors fail the run only over --max-error-rate", async () => {
    // One pod of v1 answers "hello world": 1 request in 50.
    let served = 0;
    const server = http.createServer((_request, response) =>
      response.end(served++ === 0 ? "hello world" : "pod-a:v1"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const strict = await traffic([
        "count",
        "--url",
        url,
        "--expect",
        "v1=100",
        "-n",
        "50",
        "-c",
        "1",
        "--json",
      ]);
      expect(strict.code).toBe(1);
      expect(JSON.parse(strict.stdout)).toMatchObject({ errors: 1, errorRate: 2, consistent: true });
      expect(JSON.parse(strict.stdout).problems).toEqual([
        "too many errors: 2.0% of requests, over --max-error-rate 1%",
      ]);
      served = 0;
      const lenient = await traffic([
        ...["count", "--url", url, "--expect", "v1=100", "-n", "50", "-c", "1", "--max-error-rate", "5"],
      ]);
      expect(lenient.code).toBe(0);
      expect(lenient.stdout).toContain("errors: 1 (2.0%): bad body ×1");
    } finally {
      server.close();
    }
  });

  test("non-2xx answers are errors counted by status code", async () => {
    const unavailable = await startFixedServer("no healthy upstream", 503);
    const { code, stdout } = await traffic(["count", "--url", unavailable, "--expect", EXPECT, "-n", "20"]);
    expect(code).toBe(1);
    expect(stdout).toContain("errors: 20 (100.0%): status 503 ×20");
    expect(stdout).toContain("no shopfront answers (<pod>:<version>, in lower case) to test the split with");
  });
});

describe("pods", () => {
  test("round robin over v2's 2 pods (replicas from the manifests) is even: exit 0", async () => {
    const { code, stdout } = await traffic(
      ["pods", "--version", "v2", "--url", await fairGateway(), "-n", "200", "--json"],
      {
        cwd: path.dirname(path.dirname(path.dirname(FIXTURE_MESH))),
      },
    );
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as PodsSummary;
    expect(summary).toMatchObject({
      version: "v2",
      replicas: 2,
      pods: { "shopfront-v2-5d8f7c9b6-0": 30, "shopfront-v2-5d8f7c9b6-1": 30 },
      expected: { "shopfront-v2-5d8f7c9b6-0": 50, "shopfront-v2-5d8f7c9b6-1": 50 },
      even: true,
      pValue: 1,
    });
  });

  test("a gateway that always picks the same pod of v2 fails: exit 1", async () => {
    const { code, stdout } = await traffic([
      ...["pods", "--version", "v2", "--url", sticky, "-n", "200", "--manifests", FIXTURE_MESH],
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^shopfront-v2-5d8f7c9b6-0 +\d+ +100\.0% +50\.0% +█{40}$/m);
    expect(stdout).toContain(
      `pods expected: 2 (from the Deployments in ${path.dirname(path.dirname(FIXTURE_MESH))}/)`,
    );
    expect(stdout).toContain("the 2 pods of v2 are not evenly loaded: p < 1e-12 < --alpha 0.01");
  });

  test("one pod seen and no replica count known: round robin cannot be checked, exit 1", async () => {
    const { code, stdout } = await traffic([
      "pods",
      "--version",
      "v2",
      "--url",
      sticky,
      "--manifests",
      "none.yaml",
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      "only one pod of v2 answered, so round robin cannot be checked; pass --replicas 1",
    );
  });

  test("a version of one pod is even when --replicas says it has one", async () => {
    const { code, stdout } = await traffic([
      "pods",
      "--version",
      "v4",
      "--replicas",
      "1",
      "--url",
      fair,
      "-n",
      "100",
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain("verdict: OK, the pods of v4 are evenly loaded");
  });

  test("no answer from the version at all: exit 1", async () => {
    const onlyV1 = await startRouter(pods, { weights: { v1: 100 } });
    const { code, stdout } = await traffic([
      "pods",
      "--version",
      "v4",
      "--url",
      onlyV1,
      "-n",
      "20",
      "--json",
    ]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).problems).toEqual(["no answer came from v4 (answers: v1=20)"]);
  });
});

describe("load", () => {
  test("sends --rate × --duration requests at that rate and summarizes them: exit 0", async () => {
    const { code, stdout } = await traffic([
      "load",
      "--url",
      fair,
      "--rate",
      "20",
      "--duration",
      "1s",
      "--json",
    ]);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as LoadSummary;
    expect(summary).toMatchObject({ planned: 20, sent: 20, total: 20, statuses: { "200": 20 }, errors: 0 });
    // The tool's own tolerance is 90% of --rate; a busy test machine may delay a timer a little.
    expect(summary.sentRate).toBeGreaterThanOrEqual(18);
    expect(summary.sentRate).toBeLessThanOrEqual(20.5);
    // 20 requests at 20/s: the last leaves at 950 ms, not at once.
    expect(summary.elapsedMs).toBeGreaterThanOrEqual(945);
  });

  test("404s from --path /miztiik-error-generator are traffic, summarized by status, not a failure", async () => {
    const { code, stdout } = await traffic([
      // 10 requests over a second, not 200 ms: a busy machine's timer delay must not read as a slow rate.
      ...["load", "--url", fair, "--rate", "10", "--duration", "1s", "--path", "/miztiik-error-generator"],
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(`requests to ${fair}miztiik-error-generator`);
    expect(stdout).toContain("responses: 404 ×10");
    expect(stdout).toContain("failures (no response): none");
  });

  test("a live progress line on a terminal", async () => {
    const { stderr } = await traffic(["load", "--url", fair, "--rate", "10", "--duration", "1.2s"], {
      tty: true,
    });
    expect(stderr).toContain("\r\x1b[K1/1 s, ");
    expect(stderr).toMatch(/1\/1 s, \d+ done, 200: \d+, 0 failures/);
  });

  test("an unreachable target exits 2 without waiting for the duration", async () => {
    const { code, stderr, ms } = await traffic(["load", "--url", dead, "--rate", "20", "--duration", "1m"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      new RegExp(`^error: cannot reach ${dead}: ECONNREFUSED \\(no answer to \\d+ requests\\)\n$`),
    );
    // Far under the 1 minute of --duration; slack for a loaded test machine.
    expect(ms).toBeLessThan(5000);
  });
});

describe("bad usage exits 2 with one line naming the flag, the value and the accepted form", () => {
  test.each([
    [["count", "--requests", "0"], 'error: --requests="0" is not a whole number from 1 to 1000000'],
    [["count", "--concurrency", "abc"], 'error: --concurrency="abc" is not a whole number from 1 to 1000'],
    [["load", "--rate", "-1"], 'error: --rate="-1" is not a rate from 0.1 to 1000 requests/s, such as 2'],
    [["load", "--duration", "forever"], 'error: --duration="forever" is not a duration from 1ms to 24h'],
    [
      ["load", "--rate", "1000", "--duration", "1h"],
      "error: --rate 1000 for --duration 1h is 3600000 requests; a run sends at most 1000000",
    ],
    [
      ["load", "--path", "oops"],
      'error: --path="oops" is not a path starting with /, such as /miztiik-error-generator',
    ],
    [
      ["count", "--timeout", "soon"],
      'error: --timeout="soon" is not a duration from 1ms to 10m, such as 500ms, 5s or 2m',
    ],
    [["count", "--max-error-rate", "101"], 'error: --max-error-rate="101" is not a percentage from 0 to 100'],
    [
      ["count", "--alpha", "1"],
      'error: --alpha="1" is not a significance level between 0 and 1, such as 0.01',
    ],
    [
      ["count", "--expect", "v1=50,v2=60"],
      "error: --expect: weights add up to 110, they must add up to 100 (got v1=50,v2=60)",
    ],
    [
      ["count", "--expect", "v1=fifty"],
      'error: --expect="v1=fifty": the weight of v1 ("fifty") is not a whole number from 0 to 100',
    ],
    [["pods", "--version", "v9"], 'error: --version="v9" is not one of v1, v2, v3, v4'],
    [
      ["pods", "--version", "v2", "--replicas", "0"],
      'error: --replicas="0" is not a whole number from 1 to 1000',
    ],
    [["pods"], "error: required option '--version <vN>' not specified"],
    [["count", "--url", "ftp://gateway"], 'error: --url="ftp://gateway" is not an http:// or https:// URL'],
    [["count", "--bogus"], "error: unknown option '--bogus'"],
    [["bogus"], "error: unknown command 'bogus'"],
  ])("%j", async (argv, message) => {
    const { code, stdout, stderr } = await traffic(argv);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.startsWith(message)).toBe(true);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  test("no gateway URL anywhere names the three ways to give one", async () => {
    const { code, stderr } = await traffic(["count", "--expect", EXPECT]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^error: no gateway URL: pass --url, set GATEWAY_URL, or write it with `npm run output -- istio-stack istio-config-stack shopfront-stack --outputs-file cdktf-outputs.json`/,
    );
  });

  test("no command prints the help to stderr and exits 2; --help prints it to stdout and exits 0", async () => {
    const none = await traffic([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Usage: traffic \[options\] \[command\]/);
    const help = await traffic(["count", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--expect <weights>");
  });
});

describe("a target that accepts connections and drops them never ends silent or green", () => {
  // The run itself must end: a hang would be this test's timeout, well below jest's.
  const BOUND = 10_000;

  test.each([
    ["count", ["--expect", EXPECT]],
    ["pods", ["--version", "v2", "--replicas", "2"]],
    ["load", ["--rate", "50", "--duration", "1s"]],
  ])(
    "%s against a server that closes every connection at once exits 2 with one error line",
    async (command, flags) => {
      const closing = await startClosingServer();
      const { code, stdout, stderr } = await traffic([
        command,
        "--url",
        closing,
        ...flags,
        "--timeout",
        "1s",
        "--json",
      ]);
      expect(code).toBe(2);
      expect(stderr).toMatch(
        new RegExp(`^error: cannot reach ${closing}: ECONNRESET \\(no answer to \\d+ requests\\)\n$`),
      );
      expect(JSON.parse(stdout)).toMatchObject({ exitCode: 2, errors: expect.any(Number) });
    },
    BOUND,
  );

  test(
    "a few early connections dropped among healthy ones: every run ends with its report",
    async () => {
      // Seen in more than half of the runs before: one run is not enough to show it.
      for (let attempt = 0; attempt < 5; attempt++) {
        const dropping = await startDroppingServer(3, "shopfront-v1-0:v1\n");
        const { code, stdout, stderr } = await traffic([
          ...["count", "--url", dropping, "--expect", "v1=100", "-n", "50", "-c", "10", "--json"],
        ]);
        expect(stderr).toBe("");
        expect(code).toBe(0);
        expect(JSON.parse(stdout)).toMatchObject({ total: 50, versions: { v1: 50 }, exitCode: 0 });
      }
    },
    BOUND,
  );
});

describe("a pod that dies mid-run: the requests after its death are errors, the report prints, exit 1", () => {
  const V1 = "shopfront-v1-0:v1\n";

  test.each<Death>(["exit", "reset"])(
    "count -n 800 --json against a pod that dies (%s) after 200 answers",
    async (death) => {
      const dying = await startDyingServer(200, V1, death);
      const { code, stdout, stderr } = await traffic([
        ...["count", "--url", dying.url, "--expect", "v1=100", "-n", "800", "--json"],
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(1);
      const summary = JSON.parse(stdout) as CountSummary;
      expect(summary).toMatchObject({ total: 800, errors: 600, versions: { v1: 200 }, exitCode: 1 });
      const causes = Object.keys(summary.errorCauses);
      expect(causes.filter((cause) => !["ECONNREFUSED", "ECONNRESET"].includes(cause))).toEqual([]);
      expect(summary.problems).toEqual(["too many errors: 75.0% of requests, over --max-error-rate 1%"]);
    },
  );

  test("the text report counts the refused requests and ends with the verdict", async () => {
    const dying = await startDyingServer(200, V1);
    const { code, stdout } = await traffic(["count", "--url", dying.url, "--expect", "v1=100", "-n", "800"]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^800 of 800 requests to /);
    expect(stdout).toMatch(/^errors: 600 \(75\.0%\): ECONNREFUSED ×\d+/m);
    expect(stdout).toMatch(
      /verdict: FAIL\n {2}- too many errors: 75\.0% of requests, over --max-error-rate 1%\n$/,
    );
  });

  test("pods --json", async () => {
    const dying = await startDyingServer(50, V1);
    const { code, stdout } = await traffic([
      ...["pods", "--url", dying.url, "--version", "v1", "--replicas", "1", "-n", "200", "--json"],
    ]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ total: 200, errors: 150, exitCode: 1 });
  });

  test("load --json: the schedule goes on to the end, each request after the death an error", async () => {
    const dying = await startDyingServer(20, V1);
    const { code, stdout } = await traffic([
      ...["load", "--url", dying.url, "--rate", "100", "--duration", "1s", "--json"],
    ]);
    expect(code).toBe(1);
    const summary = JSON.parse(stdout) as LoadSummary;
    expect(summary).toMatchObject({
      planned: 100,
      sent: 100,
      total: 100,
      statuses: { "200": 20 },
      errors: 80,
    });
    expect(summary.stopped).toBeNull();
  });
});

describe("--manifests that cannot be read exits 2 with one line naming the flag and the path", () => {
  let directory: string;
  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-manifests-"));
  });
  afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

  test.each([
    ["count", []],
    ["pods", ["--version", "v2"]],
  ])("%s with a directory as --manifests", async (command, flags) => {
    const { code, stdout, stderr } = await traffic([
      ...[command, "--url", fair, ...flags, "--manifests", directory],
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `error: --manifests=${JSON.stringify(directory)} is a directory; it names the YAML file with the shopfront's route, such as manifests/routing-istio/shopfront-mesh.yaml\n`,
    );
  });
});

describe("answers in upper case", () => {
  test("`POD:V1` is a bad body, named in the report, not a new version V1", async () => {
    const shouting = await startFixedServer("POD:V1\n");
    const { code, stdout } = await traffic([
      ...["count", "--url", shouting, "--expect", "v1=100", "-n", "20", "--json"],
    ]);
    expect(code).toBe(1);
    const summary = JSON.parse(stdout) as CountSummary;
    expect(summary).toMatchObject({ versions: { v1: 0 }, errorCauses: { "bad body": 20 } });
    expect(summary.versions).not.toHaveProperty("V1");
    expect(summary.badBodyExample).toBe("POD:V1\n");
    expect(summary.problems).toContain(
      'no shopfront answers (<pod>:<version>, in lower case) to test the split with; bodies such as "POD:V1\\n"',
    );
  });

  test("the text report names the malformed answer too", async () => {
    const shouting = await startFixedServer("POD:V1");
    const { code, stdout } = await traffic(["count", "--url", shouting, "--expect", "v1=100", "-n", "20"]);
    expect(code).toBe(1);
    expect(stdout).toContain('errors: 20 (100.0%): bad body ×20 (such as "POD:V1")');
    expect(stdout).not.toMatch(/^V1 /m);
  });
});

describe("--alpha takes any number form between 0 and 1", () => {
  test.each(["1e-3", "1E-3", ".001", "0.001"])("%s", async (alpha) => {
    const { code, stdout, stderr } = await traffic([
      ...["count", "--url", await fairGateway(), "--expect", EXPECT, "--alpha", alpha, "--json"],
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ alpha: 0.001 });
  });
});

describe("the README's canary: `SHOPFRONT_WEIGHTS=v1=90,v4=10 npx cdktf deploy ... --outputs-file`, then `npm run traffic -- count`", () => {
  let project: string;
  beforeEach(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-canary-"));
  });
  afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

  /** cdktf-outputs.json as `cdktf deploy istio-stack istio-config-stack shopfront-stack --outputs-file` writes it. */
  function deployed(gateway: string, routeWeights: string): void {
    const outputs = {
      "istio-stack": { gateway_url: gateway, ingress_hostname: new URL(gateway).host },
      "istio-config-stack": {},
      "shopfront-stack": { namespace: "shopfront", route_weights: routeWeights },
    };
    fs.writeFileSync(path.join(project, "cdktf-outputs.json"), JSON.stringify(outputs, null, 2));
    // The project's manifests still say 50/30/15/5: the deployed weights must win over them.
    fs.mkdirSync(path.join(project, "manifests", "routing-istio"), { recursive: true });
    fs.copyFileSync(FIXTURE_MESH, path.join(project, "manifests", "routing-istio", "shopfront-mesh.yaml"));
  }

  test("a gateway answering 90/10 passes against the deployed weights, and the report says where they came from", async () => {
    const canary = await startRouter(pods, { weights: { v1: 90, v4: 10 } });
    deployed(canary, "v1=90,v2=0,v3=0,v4=10");
    // The variable set the deploy's environment only: the second command runs without it.
    const { code, stdout, stderr } = await traffic(["count"], { cwd: project });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain(
      `100 of 100 requests to ${canary} (from cdktf-outputs.json (istio-stack.gateway_url))`,
    );
    expect(stdout).toContain("expected split from cdktf-outputs.json (shopfront-stack.route_weights)");
    expect(stdout).toMatch(/^v1 +90 +90\.0% +90% /m);
    expect(stdout).toMatch(/^v4 +10 +10\.0% +10% /m);
  });

  test("--json names the source, and the manifests' 50/30/15/5 would have failed the same gateway", async () => {
    const canary = await startRouter(pods, { weights: { v1: 90, v4: 10 } });
    deployed(canary, "v1=90,v2=0,v3=0,v4=10");
    const { code, stdout } = await traffic(["count", "--json"], { cwd: project });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      expectedSource: "cdktf-outputs.json (shopfront-stack.route_weights)",
      expected: { v1: 90, v2: 0, v3: 0, v4: 10 },
      versions: { v1: 90, v2: 0, v3: 0, v4: 10 },
    });
    const againstManifests = await traffic(["count", "--json", "--outputs-file", "none.json"], {
      cwd: project,
      env: { GATEWAY_URL: canary },
    });
    expect(againstManifests.code).toBe(1);
    expect(JSON.parse(againstManifests.stdout).expectedSource).toBe(
      "manifests/routing-istio/shopfront-mesh.yaml",
    );
  });
});

describe("ROUTING_API=gateway-api: the same answers, the split read from the HTTPRoute", () => {
  const fixtures = path.dirname(path.dirname(path.dirname(FIXTURE_MESH)));
  const FIXTURE_ROUTES = path.join(fixtures, "manifests", "routing-gateway-api", "shopfront-routes.yaml");
  let project: string;
  beforeEach(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-gateway-api-"));
  });
  afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

  test("--manifests naming the HTTPRoute's file sets the expected split, version by version through its Services", async () => {
    const { code, stdout } = await traffic(["count", "--url", fair, "--manifests", FIXTURE_ROUTES, "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      expectedSource: FIXTURE_ROUTES,
      expected: WALKTHROUGH_WEIGHTS,
    });
  });

  test("ROUTING_API=gateway-api makes the HTTPRoute's file the default, and a skewed gateway fails against it", async () => {
    const { code, stdout } = await traffic(["count", "--url", skewed, "--json"], {
      cwd: fixtures,
      env: { ROUTING_API: "gateway-api" },
    });
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      expectedSource: "manifests/routing-gateway-api/shopfront-routes.yaml",
      expected: WALKTHROUGH_WEIGHTS,
      consistent: false,
    });
  });

  test("the gateway URL comes from istio-config-stack, which owns the Gateway API ingress, the deployed weights from shopfront-stack", async () => {
    const canary = await startRouter(pods, { weights: { v1: 90, v4: 10 } });
    const outputs = {
      "istio-stack": {},
      "istio-config-stack": { gateway_url: canary, ingress_hostname: new URL(canary).host },
      "shopfront-stack": { namespace: "shopfront", route_weights: "v1=90,v2=0,v3=0,v4=10" },
    };
    fs.writeFileSync(path.join(project, "cdktf-outputs.json"), JSON.stringify(outputs));
    const { code, stdout } = await traffic(["count", "--json"], { cwd: project });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      url: canary,
      urlSource: "cdktf-outputs.json (istio-config-stack.gateway_url)",
      expectedSource: "cdktf-outputs.json (shopfront-stack.route_weights)",
      versions: { v1: 90, v2: 0, v3: 0, v4: 10 },
    });
  });

  test("pods reads the replicas from the Deployments in the folder above the routing folder", async () => {
    const { code, stdout } = await traffic(
      ["pods", "--version", "v2", "--url", await fairGateway(), "-n", "200", "--json"],
      { cwd: fixtures, env: { ROUTING_API: "gateway-api" } },
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ version: "v2", replicas: 2, even: true });
  });

  test("an unknown ROUTING_API exits 2 with one line naming it and the accepted values", async () => {
    const { code, stdout, stderr } = await traffic(["count", "--url", fair], {
      env: { ROUTING_API: "gateway" },
    });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/ROUTING_API="gateway" is not one of istio, gateway-api\n$/);
  });
});

describe("the process around run (main)", () => {
  /** A stand-in for `process`: its events are emitted by the test, its exit is recorded. */
  function host() {
    const events = new EventEmitter();
    const exits: number[] = [];
    let stderr = "";
    const stand: Host & { exitCode?: number | string | null } = {
      argv: ["node", "cli.js", "count"],
      env: {},
      stdout: { write: () => true },
      stderr: {
        write: (text: string) => {
          stderr += text;
          return true;
        },
      },
      cwd: () => os.tmpdir(),
      on: (event, listener) => events.on(event, listener),
      once: (event, listener) => events.once(event, listener),
      exit: (code) => {
        exits.push(code);
      },
    };
    return { stand, events, exits, stderr: () => stderr };
  }

  test("a run that leaves nothing to wait for before its report exits 2 with an error line, never 0", () => {
    const { stand, events, exits, stderr } = host();
    main(stand, () => new Promise(() => {}));
    expect(stand.exitCode).toBe(2);
    events.emit("beforeExit");
    expect(exits).toEqual([2]);
    expect(stderr()).toBe("error: the run ended before its report (nothing left to wait for): no result\n");
  });

  test("a fault that escapes the run (an exception in a callback) exits 2 with its stack, never Node's exit 1", () => {
    const { stand, events, exits, stderr } = host();
    main(stand, () => new Promise(() => {}));
    events.emit("uncaughtException", new Error("assert(client[kSize] === 0)"));
    expect(exits).toEqual([2]);
    expect(stderr()).toMatch(/^error: Error: assert\(client\[kSize\] === 0\)\n {4}at /);
  });

  test("the run's exit code is the process's", async () => {
    const { stand, exits } = host();
    main(stand, async () => 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(exits).toEqual([1]);
  });

  test("Ctrl-C aborts the run's interrupt signal; the same SIGINT twice at once does not end the process", () => {
    const { stand, events, exits } = host();
    let signal: AbortSignal | undefined;
    main(stand, (_argv, io) => {
      signal = io.interrupt;
      return new Promise(() => {});
    });
    events.emit("SIGINT");
    events.emit("SIGINT");
    expect(signal?.aborted).toBe(true);
    expect(exits).toEqual([]);
  });
});

describe("a bearer token", () => {
  const ISSUER = "https://idp.example.com/realms/shop";
  const DEPLOYED = { issuer: ISSUER, audiences: [], required: true };
  let provider: IdentityProvider;
  let folder: string;
  beforeAll(async () => {
    provider = await identityProvider(ISSUER);
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-cli-token-"));
  });
  afterAll(async () => {
    await closeJwtGateways();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  const tokenFile = (name: string, token: string) => {
    fs.writeFileSync(path.join(folder, name), token);
    return path.join(folder, name);
  };
  const ingress = async () =>
    (await startJwtGateway(await fairGateway(), ingressAuthentication(DEPLOYED, "istio"), provider.jwks)).url;

  test("goes on every request of count from --token-file, and the split is checked through a gateway that requires it", async () => {
    const file = tokenFile("good.jwt", await provider.token());
    const { code, stdout } = await traffic([
      "count",
      "--url",
      await ingress(),
      "--expect",
      EXPECT,
      "-n",
      "100",
      "--token-file",
      file,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain("errors: none");
  });

  test("comes from TRAFFIC_TOKEN_FILE too, and --json names where it came from", async () => {
    const file = tokenFile("env.jwt", await provider.token());
    const { code, stdout } = await traffic(
      ["count", "--url", await ingress(), "--expect", EXPECT, "-n", "100", "--json"],
      {
        env: { TRAFFIC_TOKEN_FILE: file },
      },
    );
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as CountSummary).token).toBe(`TRAFFIC_TOKEN_FILE=${file}`);
  });

  test("missing, count reports the 403s as denials and says how to send one", async () => {
    const { code, stdout } = await traffic([
      "count",
      "--url",
      await ingress(),
      "--expect",
      EXPECT,
      "-n",
      "20",
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain("errors: 20 (100.0%): status 403 ×20");
    expect(stdout).toContain(
      "  403 ×20: denied: requests without a valid token are refused (JWT_REQUIRED=true); pass --token-file or set TRAFFIC_TOKEN_FILE",
    );
    expect(stdout).not.toMatch(/^ {2}401/m);
  });

  test("refused, load reports the 401s apart from 403s, as the token's refusal", async () => {
    const expired = tokenFile(
      "expired.jwt",
      await provider.token({ exp: Math.floor(Date.now() / 1000) - 60 }),
    );
    const { stdout } = await traffic([
      ...["load", "--url", await ingress(), "--rate", "20", "--duration", "500ms", "--token-file", expired],
    ]);
    expect(stdout).toMatch(/^responses: 401 ×10$/m);
    expect(stdout).toContain(
      `  401 ×10: the ingress refused the token from --token-file ${expired} (expired,`,
    );
    expect(stdout).not.toMatch(/^ {2}403/m);
  });
});
