/**
 * The sample outputs of docs/resilience.md, which `npm run docs:samples` (tools/docs-samples.ts)
 * writes: the traffic tool run against the loopback mesh's edge gateway
 * (`__tests__/tools/traffic/edge.ts`), each time with one policy and the setting that configures it,
 * and the refusals that synth and `npm run analyze` print. The gateway's draws are seeded, so the
 * counts are the same on every run; latencies, times and ports are not, and the drift test leaves
 * them out (`comparable` in docs-samples.ts).
 */
import {
  type CountingPod,
  receivedByVersion,
  startCountingPods,
  startEdgeGateway,
  startPrometheus,
} from "../__tests__/tools/traffic/edge";
import { WALKTHROUGH_REPLICAS, WALKTHROUGH_WEIGHTS } from "../__tests__/tools/traffic/mesh";
import { ConfigError, loadConfig } from "../modules/settings/load";
import { run as analyze } from "./analyze/cli";
import { run as traffic } from "./traffic/cli";

const PAGE = "docs/resilience.md";

/** What a sample needs of docs-samples.ts's scene: the scratch project folder, with manifests/. */
interface Project {
  readonly project: string;
}

/** A hand-edited route with a fault beside its timeout and retries, and a mirror to no subset. */
const MISUSE = "__tests__/fixtures/analyzer/shopfront-mesh-resilience-misuse.yaml";

/** The walkthrough's pods behind a gateway with `policies`; v4 answers after `slowV4Ms` when given. */
async function gateway(
  policies: Omit<Parameters<typeof startEdgeGateway>[1], "weights" | "seed">,
  slowV4Ms?: number,
) {
  const pods: CountingPod[] = await startCountingPods(
    WALKTHROUGH_REPLICAS,
    slowV4Ms === undefined ? {} : { v4: { delayMs: slowV4Ms } },
  );
  return { pods, url: await startEdgeGateway(pods, { weights: WALKTHROUGH_WEIGHTS, seed: 7, ...policies }) };
}

/**
 * The tool's output for `argv` with the `settings` given on the command line, as a user types it after
 * `export GATEWAY_URL=...`; `from` keeps the output from its first line that starts so, after `...`.
 */
async function trafficSample(
  scene: Project,
  url: string,
  settings: Record<string, string>,
  argv: string[],
  from?: string,
) {
  let stdout = "";
  let stderr = "";
  await traffic(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    stderrIsTTY: false,
    env: { GATEWAY_URL: url, ...settings },
    cwd: scene.project,
  });
  const prefix = Object.entries(settings)
    .map(([name, value]) => `${name}=${value} `)
    .join("");
  const lines = `${stdout}${stderr}`.trimEnd().split("\n");
  const shown =
    from === undefined
      ? ["", ...lines]
      : ["...", ...lines.slice(lines.findIndex((line) => line.startsWith(from)))];
  return [`$ ${prefix}npm run traffic -- ${argv.join(" ")}`, ...shown].join("\n");
}

/** What synth prints for settings it refuses. */
function refusal(settings: Record<string, string>): string {
  const prefix = Object.entries(settings)
    .map(([name, value]) => `${name}=${value} `)
    .join("");
  try {
    loadConfig(settings);
  } catch (error) {
    if (error instanceof ConfigError)
      return [`$ ${prefix}npm run synth`, "...", error.message, "..."].join("\n");
    throw error;
  }
  throw new Error(
    `the sample settings ${JSON.stringify(settings)} were accepted: pick ones that are refused`,
  );
}

type Sample = {
  readonly page: string;
  readonly measured?: boolean;
  render(scene: Project): Promise<string> | string;
};

/**
 * A measured `npm run traffic -- count` sample: the loopback mesh with `policies` (v4 slowed by
 * `slowV4Ms`), the tool told `settings`, its output from the `errors:` line.
 */
function countSample(
  policies: Parameters<typeof gateway>[0],
  settings: Record<string, string>,
  argv: string[],
  slowV4Ms?: number,
): Sample {
  return {
    page: PAGE,
    measured: true,
    async render(scene) {
      const { url } = await gateway(policies, slowV4Ms);
      return trafficSample(scene, url, settings, ["count", ...argv], "errors:");
    },
  };
}

export const RESILIENCE_SAMPLES: Readonly<Record<string, Sample>> = {
  "resilience-abort": countSample(
    { faultAbort: { status: 503, percent: 5 } },
    { SHOPFRONT_FAULT_ABORT: "503@5" },
    ["--requests", "500"],
  ),
  // The same setting against a mesh that injects nothing.
  "resilience-abort-missing": countSample({}, { SHOPFRONT_FAULT_ABORT: "503@5" }, ["--requests", "500"]),
  "resilience-delay": countSample(
    { faultDelay: { ms: 2000, percent: 10 } },
    { SHOPFRONT_FAULT_DELAY: "2s@10" },
    ["--requests", "200", "--concurrency", "20"],
  ),
  "resilience-timeout": countSample(
    { timeoutMs: 500 },
    { SHOPFRONT_TIMEOUT: "500ms" },
    ["--requests", "200", "--max-error-rate", "10"],
    2000,
  ),
  "resilience-rate-limit": countSample(
    { rateLimit: { requests: 50, intervalMs: 60_000 } },
    { INGRESS_RATE_LIMIT: "50/m" },
    ["--requests", "80"],
  ),
  "resilience-mirror": {
    page: PAGE,
    measured: true,
    async render(scene) {
      const { pods, url } = await gateway({ mirror: { version: "v4", percent: 20 } });
      const prometheus = await startPrometheus(() => receivedByVersion(pods), 200);
      return trafficSample(scene, url, { SHOPFRONT_MIRROR: "v4@20" }, [
        ...["mirror", "--prometheus", prometheus, "--requests", "500", "--settle", "1s"],
      ]);
    },
  },
  "resilience-refused-fault-timeout": {
    page: PAGE,
    render: () => refusal({ SHOPFRONT_FAULT_ABORT: "503@5", SHOPFRONT_TIMEOUT: "3s" }),
  },
  "resilience-refused-gateway-api": {
    page: PAGE,
    render: () =>
      refusal({ ROUTING_API: "gateway-api", SHOPFRONT_RETRIES: "3@1s", SHOPFRONT_FAULT_DELAY: "2s@10" }),
  },
  "resilience-analyze": {
    page: PAGE,
    render() {
      const argv = ["manifests/shopfront.yaml", MISUSE];
      const lines: string[] = [];
      analyze(argv, { out: (line) => lines.push(line), err: (line) => lines.push(line) }, {});
      return [`$ npm run analyze -- ${argv.join(" ")}`, ...lines].join("\n");
    },
  },
};
