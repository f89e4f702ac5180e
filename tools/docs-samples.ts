/**
 * `npm run docs:samples`: writes the sample outputs in README.md and docs/*.md by running the
 * project's own commands offline, so that no sample is typed by hand. A sample is the fenced block
 * right after a marker line `<!-- sample <name>: ... -->`; its text is what SAMPLES renders for that
 * name. The traffic tool runs against the loopback mesh of the traffic tests
 * (`__tests__/tools/traffic/mesh.ts`), in a scratch folder holding a copy of manifests/, and `auth`
 * against that mesh behind the tests' JWT gateway, with a token of the tests' identity provider; its
 * latencies, times and ports differ on every run, which `comparable` leaves out of the drift test.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { App, TerraformStack } from "cdktf";
import { startStandIn, type VersionBehaviour } from "../__tests__/tools/canary/stand-in";
import { identityProvider } from "../__tests__/tools/traffic/identity-provider";
import { closeJwtGateways, startJwtGateway } from "../__tests__/tools/traffic/jwt-gateway";
import {
  closeAll,
  startPods,
  startRouter,
  WALKTHROUGH_REPLICAS,
  WALKTHROUGH_WEIGHTS,
} from "../__tests__/tools/traffic/mesh";
import { readSettings } from "../modules/settings/file";
import { ConfigError, loadConfig } from "../modules/settings/load";
import { STACK_NAMES } from "../modules/settings/names";
import { projectRoot } from "../modules/settings/project";
import type { JwtAuthentication } from "../modules/settings/sections/authentication";
import { ingressAuthentication } from "../modules/shopfront/authentication";
import { ShopfrontManifests } from "../modules/shopfront/manifest-set";
import { Shopfront } from "../modules/shopfront/shopfront";
import { ValidationError, validationErrors } from "../stacks/app";
import { run as analyze } from "./analyze/cli";
import { run as canary } from "./canary/cli";
import { RESILIENCE_SAMPLES } from "./resilience-samples";
import { run as traffic } from "./traffic/cli";

/** The project folder, from this file's (tools/, or the compiled one in .build/). */
const ROOT = projectRoot(__dirname);

/** The pages whose samples are written. */
export function samplePages(): string[] {
  const docs = readdirSync(path.join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs];
}

/** A marker line, with the name of the sample whose block follows it. */
export const MARKER =
  /^<!-- sample ([a-z0-9-]+): written by `npm run docs:samples`; edit tools\/docs-samples\.ts -->$/;

export function marker(name: string): string {
  return `<!-- sample ${name}: written by \`npm run docs:samples\`; edit tools/docs-samples.ts -->`;
}

/** A broken mesh: manifests/routing-istio/shopfront-mesh.yaml with v4's weight at 15, so 110 in all. */
const WEIGHTS_110 = "__tests__/fixtures/analyzer/shopfront-mesh-weights-110.yaml";

/** What the samples need: a scratch project folder and the gateways of the loopback mesh. */
interface Scene {
  /** A folder holding a copy of manifests/, where the traffic tool runs (no settings, no outputs). */
  readonly project: string;
  /** A gateway splitting by the walkthrough's weights, at random, the same way on every run. */
  readonly fair: string;
  /** A gateway splitting 70/10/10/10. */
  readonly skewed: string;
}

/**
 * The traffic tool's output for `argv`, run as `npm run traffic -- argv` with GATEWAY_URL set, and
 * the settings in `env`.
 */
async function runTraffic(scene: Scene, gateway: string, argv: string[], env: Record<string, string> = {}) {
  let stdout = "";
  const code = await traffic(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: () => {},
    stderrIsTTY: false,
    env: { ...env, GATEWAY_URL: gateway },
    cwd: scene.project,
  });
  return { code, stdout: stdout.trimEnd() };
}

/** `$ command`, a blank line, then the output, as a terminal shows a command and what it printed. */
async function trafficSample(scene: Scene, gateway: string, argv: string[]): Promise<string> {
  const { stdout } = await runTraffic(scene, gateway, argv);
  return `$ npm run traffic -- ${argv.join(" ")}\n\n${stdout}`;
}

/** The JWT settings of the auth samples, as settings.env would hold them. */
const JWT_SETTINGS = { JWT_ISSUER: "https://idp.example.com/realms/shop", JWT_AUDIENCES: "shopfront-api" };

/**
 * `npm run traffic -- auth` against the fair gateway behind a JWT gateway applying the objects of
 * `deployed` (the mesh as deployed, which may differ from JWT_SETTINGS), with a token of the tests'
 * identity provider in token.jwt. The token expires at a fixed time, so that the sample reads the same.
 */
async function authSample(scene: Scene, deployed: JwtAuthentication): Promise<string> {
  const provider = await identityProvider(JWT_SETTINGS.JWT_ISSUER);
  const ingress = await startJwtGateway(scene.fair, ingressAuthentication(deployed, "istio"), provider.jwks);
  const token = await provider.token({
    audience: JWT_SETTINGS.JWT_AUDIENCES,
    iat: Date.UTC(2026, 0, 1) / 1000,
    exp: Date.UTC(2099, 0, 1) / 1000,
  });
  writeFileSync(path.join(scene.project, "token.jwt"), `${token}\n`, { mode: 0o600 });
  const argv = ["auth", "--token-file", "token.jwt"];
  const { code, stdout } = await runTraffic(scene, ingress.url, argv, JWT_SETTINGS);
  return [`$ npm run traffic -- ${argv.join(" ")}`, "", stdout, "$ echo $?", String(code)].join("\n");
}

const DEPLOYED_JWT: JwtAuthentication = {
  issuer: JWT_SETTINGS.JWT_ISSUER,
  audiences: [JWT_SETTINGS.JWT_AUDIENCES],
  required: true,
};

/** The refusal that synth prints for a broken mesh: the construct's validation, on a copy of manifests/. */
function brokenMeshRefusal(scene: Scene): string {
  const manifests = path.join(scene.project, "broken", "manifests");
  cpSync(path.join(ROOT, "manifests"), manifests, { recursive: true });
  cpSync(path.join(ROOT, WEIGHTS_110), path.join(manifests, "routing-istio", "shopfront-mesh.yaml"));
  // As shopfront-stack holds it, under the same names.
  const app = new App({ outdir: path.join(scene.project, "cdktf.out"), skipValidation: true });
  const stack = new TerraformStack(app, STACK_NAMES.shopfront);
  new KubernetesProvider(stack, "kubernetes", {});
  new Shopfront(stack, "shopfront", {
    manifests: new ShopfrontManifests({
      config: { loadGenerator: false, errorGenerator: false },
      manifestsDir: manifests,
    }),
  });
  // The construct names files from the working folder: the copy's are named as manifests/ is.
  const copy = path.relative(process.cwd(), manifests);
  return new ValidationError(validationErrors(app)).message.split(copy).join("manifests");
}

/** The app's refusal of a setting, as synth prints it before building anything. */
function settingRefusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`the sample settings ${JSON.stringify(env)} were accepted: pick ones that are refused`);
}

/**
 * `npm run canary -- --to v4` against the canary tests' loopback stand-in, whose split follows the
 * weights its apply command (a script in the run's folder, `./record-weights.sh`) recorded, with
 * SHOPFRONT_WEIGHTS on line 2 of the folder's settings.env; its exit code last.
 */
async function canarySample(behaviour: Readonly<Record<string, VersionBehaviour>> = {}): Promise<string> {
  const from = "v1=50,v2=30,v3=20,v4=0";
  const mesh = await startStandIn({ weights: { v1: 50, v2: 30, v3: 20, v4: 0 }, behaviour });
  try {
    writeFileSync(path.join(mesh.dir, "settings.env"), `CLUSTER_NAME=demo\nSHOPFRONT_WEIGHTS=${from}\n`);
    writeFileSync(path.join(mesh.dir, "record-weights.sh"), `#!/bin/sh\n${mesh.applyCommand}\n`, {
      mode: 0o755,
    });
    let stdout = "";
    const code = await canary(["--to", "v4", "--apply-command", "./record-weights.sh", "--settle", "0s"], {
      stdout: (text) => {
        stdout += text;
      },
      stderr: () => {},
      stderrIsTTY: false,
      env: readSettings({ PATH: process.env.PATH, GATEWAY_URL: mesh.url }, mesh.dir),
      cwd: mesh.dir,
    });
    return ["$ npm run canary -- --to v4", stdout.trimEnd(), "$ echo $?", String(code)].join("\n");
  } finally {
    await mesh.close();
  }
}

/** Each sample by name: the page it is on, and how to write it. */
export const SAMPLES: Readonly<
  Record<
    string,
    { readonly page: string; readonly measured?: boolean; render(scene: Scene): Promise<string> | string }
  >
> = {
  "traffic-count": {
    page: "docs/traffic.md",
    measured: true,
    render: (scene) => trafficSample(scene, scene.fair, ["count"]),
  },
  "traffic-pods": {
    page: "docs/traffic.md",
    measured: true,
    render: (scene) => trafficSample(scene, scene.fair, ["pods", "--version", "v2"]),
  },
  "traffic-skewed": {
    page: "docs/traffic.md",
    measured: true,
    async render(scene) {
      const { code, stdout } = await runTraffic(scene, scene.skewed, ["count", "--requests", "200"]);
      const lines = stdout.split("\n");
      const tail = lines.slice(lines.findIndex((line) => line.startsWith("chi-square ")));
      return ["$ npm run traffic -- count --requests 200", "...", ...tail, "$ echo $?", String(code)].join(
        "\n",
      );
    },
  },
  "traffic-load": {
    page: "docs/traffic.md",
    measured: true,
    render: (scene) =>
      trafficSample(scene, scene.fair, [
        ...["load", "--rate", "2", "--duration", "5s", "--path", "/miztiik-error-generator"],
      ]),
  },
  "traffic-auth": {
    page: "docs/security.md",
    measured: true,
    render: (scene) => authSample(scene, DEPLOYED_JWT),
  },
  "traffic-auth-open": {
    page: "docs/security.md",
    measured: true,
    // A mesh deployed with JWT_REQUIRED=false, checked with the settings that require a token.
    render: (scene) => authSample(scene, { ...DEPLOYED_JWT, required: false }),
  },
  "analyze-broken": {
    page: "docs/manifests.md",
    render() {
      const argv = ["manifests/shopfront.yaml", "manifests/shopfront-security.yaml", WEIGHTS_110];
      const lines: string[] = [];
      const err: string[] = [];
      analyze(argv, { out: (line) => lines.push(line), err: (line) => err.push(line) }, {});
      return [`$ npm run analyze -- ${argv.join(" ")}`, ...lines, ...err].join("\n");
    },
  },
  "synth-weights": {
    page: "docs/manifests.md",
    render: () =>
      [
        "$ SHOPFRONT_WEIGHTS=v1=60,v2=30,v3=15,v4=5 npm run synth",
        "...",
        settingRefusal({ SHOPFRONT_WEIGHTS: "v1=60,v2=30,v3=15,v4=5" }),
        "...",
      ].join("\n"),
  },
  "canary-promote": { page: "docs/canary.md", measured: true, render: () => canarySample() },
  "canary-rollback": {
    page: "docs/canary.md",
    measured: true,
    render: () => canarySample({ v4: { errorEvery: 20 } }),
  },
  "synth-broken-mesh": {
    page: "docs/manifests.md",
    render: (scene) => ["$ npm run synth", "...", brokenMeshRefusal(scene), "..."].join("\n"),
  },
  ...RESILIENCE_SAMPLES,
};

/** Every sample's text by name, each run in turn (the traffic samples take about 12 s). */
export async function renderSamples(): Promise<Map<string, string>> {
  const project = mkdtempSync(path.join(os.tmpdir(), "docs-samples-"));
  try {
    cpSync(path.join(ROOT, "manifests"), path.join(project, "manifests"), { recursive: true });
    const pods = await startPods(WALKTHROUGH_REPLICAS);
    const scene: Scene = {
      project,
      fair: await startRouter(pods, { weights: WALKTHROUGH_WEIGHTS, seed: 7 }),
      skewed: await startRouter(pods, { weights: { v1: 70, v2: 10, v3: 10, v4: 10 }, seed: 7 }),
    };
    const rendered = new Map<string, string>();
    for (const [name, sample] of Object.entries(SAMPLES)) rendered.set(name, await sample.render(scene));
    return rendered;
  } finally {
    await closeJwtGateways();
    await closeAll();
    rmSync(project, { recursive: true, force: true });
  }
}

interface Block {
  readonly name: string;
  /** The lines of its text, from `start` (the line after the opening fence) to before `end`. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** The marked blocks of `page`'s text: each sample's name, where its text is, and the text. */
export function markedBlocks(text: string, page: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  lines.forEach((line, index) => {
    const name = MARKER.exec(line)?.[1];
    if (name === undefined) return;
    const end = lines.findIndex((fence, at) => at > index + 1 && fence.startsWith("```"));
    if (!lines[index + 1]?.startsWith("```") || end < 0) {
      throw new Error(
        `${page}:${index + 1}: the marker of sample ${name} must be followed by a fenced block`,
      );
    }
    blocks.push({ name, start: index + 2, end, text: lines.slice(index + 2, end).join("\n") });
  });
  return blocks;
}

/** `text` with the block after each marker rewritten from `rendered`. */
export function withSamples(text: string, page: string, rendered: ReadonlyMap<string, string>): string {
  const lines = text.split("\n");
  // From the last block up, so that the line numbers of those above stay right.
  for (const block of markedBlocks(text, page).reverse()) {
    const sample = rendered.get(block.name);
    if (sample === undefined) throw new Error(`${page}: no sample is named ${block.name} (SAMPLES)`);
    lines.splice(block.start, block.end - block.start, ...sample.split("\n"));
  }
  return lines.join("\n");
}

/**
 * A sample's text without what differs from run to run, for the drift test: in the traffic tool's
 * and the canary's output, the port, the latencies, and every number with a decimal point (shares, times, rates,
 * statistics), with the padding that their widths change. Counts, labels and verdicts stay.
 */
export function comparable(name: string, text: string): string {
  if (!SAMPLES[name]?.measured) return text;
  return (
    text
      .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
      .replace(/^(v\d+ +\d+)( +[\d.]+){3}$/gm, "$1 <p50> <p95> <p99>")
      // A canary table row: the target's and the baseline's p50, p95 and p99, whole above 100 ms.
      .replace(
        /^(\d+ +\d+% +\d+ +\d+ +\d+)( +[\d.]+){3}( +\d+\*? +\d+)( +[\d.]+){3}/gm,
        "$1 <p50> <p95> <p99>$3 <p50> <p95> <p99>",
      )
      .replace(/\b(p50|p95|p99) [\d.]+/g, "$1 <ms>")
      .replace(/\d+\.\d+(e-?\d+)?/g, "<n>")
      .replace(/ {2,}/g, " ")
  );
}

/** The command: renders every sample and rewrites the pages whose samples changed. */
export async function main(): Promise<void> {
  try {
    const rendered = await renderSamples();
    for (const page of samplePages()) {
      const file = path.join(ROOT, page);
      const text = readFileSync(file, "utf8");
      const rewritten = withSamples(text, page, rendered);
      if (rewritten !== text) {
        writeFileSync(file, rewritten);
        process.stdout.write(`wrote ${page}\n`);
      }
    }
  } catch (error) {
    process.stderr.write(`docs:samples: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
