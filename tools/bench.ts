/**
 * `npm run bench`: in one run on the same code, the project's toolchain beside the `cdktf init`
 * default (ts-node app, ts-jest tests) and the targets: synthesizing every stack, `npm test`, and the
 * traffic tool beside autocannon; then the canary's judging speed and own overhead
 * (tools/canary/bench.ts). Prints wall and CPU times, peak memory (the whole process tree's
 * resident set, sampled from /proc) and the ratios against the targets. By default the quick version
 * (about three minutes): synth cold and warm, three rounds, beside one run of the `cdktf init`
 * default, one `npm test`, and the traffic tool's short rounds. `--long` adds tsx, ts-node on the
 * project's imports, the cdktf CLI, the jest suite beside ts-jest and the traffic tool's long rounds;
 * `--synth-only` stops after the synth rows. Run it on a quiet machine: other work shows in every
 * wall time (the CPU times vary less).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { benchCanary } from "./canary/bench";
import { runCommand } from "./run-command";
import { benchLines, benchTraffic, LONG, median, QUICK, timed } from "./traffic/bench";

interface Measure {
  readonly seconds: number;
  /** Peak resident memory of the process and its descendants, in MB; undefined where /proc is missing. */
  readonly peakMb?: number;
  /** User and system CPU time of the command's processes: on a busy machine it varies less than the wall time. */
  readonly cpuSeconds?: number;
}

const root = path.resolve(__dirname, "..");

/** Resident set of `pid` and all its descendants, in kB, from /proc. */
function treeRssKb(pid: number): number {
  let children: Map<number, number[]>;
  try {
    children = new Map();
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        // The process ended while we looked.
      }
    }
  } catch {
    return Number.NaN;
  }
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop() as number;
    try {
      const status = readFileSync(`/proc/${current}/status`, "utf8");
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // Gone already.
    }
    stack.push(...(children.get(current) ?? []));
  }
  return total;
}

/**
 * Runs a shell command, sampling its memory; fails on a non-zero exit. After `timeoutMs` it is killed
 * with every process it started.
 */
async function measure(command: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<Measure> {
  let peakKb = 0;
  // Every 25 ms for the first two seconds (a synth is over in less), then every 250 ms: a scan of
  // /proc costs CPU, which a tight loop would take from the jest run it measures.
  let sampler: NodeJS.Timeout | undefined;
  const sample = (pid: number, elapsedMs: number) => {
    peakKb = Math.max(peakKb, treeRssKb(pid));
    const next = elapsedMs < 2000 ? 25 : 250;
    sampler = setTimeout(() => sample(pid, elapsedMs + next), next);
  };
  const { result, seconds, cpuSeconds } = await timed(() =>
    runCommand("/bin/sh", ["-c", command], {
      cwd: root,
      env: { ...process.env, CHECKPOINT_DISABLE: "1", FORCE_COLOR: "0", ...env },
      timeoutMs,
      onSpawn: (pid) => sample(pid, 0),
    }),
  ).finally(() => clearTimeout(sampler));
  if (result.kind !== "exited" || result.code !== 0) {
    const why = result.kind === "exited" ? `exited with ${result.code}` : result.message;
    const stderr = result.kind === "not started" ? "" : result.stderr.slice(-4000);
    throw new Error(`"${command}" ${why}:\n${stderr}`);
  }
  return { seconds, peakMb: Number.isNaN(peakKb) || peakKb === 0 ? undefined : peakKb / 1024, cpuSeconds };
}

const mb = (m: Measure) => (m.peakMb === undefined ? "n/a" : `${m.peakMb.toFixed(0)} MB`);
const secs = (m: Measure) => (Number.isNaN(m.seconds) ? "n/a" : `${m.seconds.toFixed(2)} s`);
const row = (name: string, ours: Measure, theirs: Measure) =>
  `${name.padEnd(30)} ${secs(ours).padStart(9)} ${mb(ours).padStart(8)}   ${`${theirs.seconds.toFixed(2)} s`.padStart(9)} ${mb(theirs).padStart(8)}   ${(ours.seconds / theirs.seconds).toFixed(3).padStart(5)}`;

/** What tools/app.js keeps between runs: the compiled app and V8's code cache. */
const clearAppBuild = () => rmSync(path.join(root, ".build"), { recursive: true, force: true });

/**
 * A copy of the app as `cdktf init` would have it written: every provider class imported from its
 * package's root (the `vpc` namespace of the `@cdktf/provider-aws` package), which loads and type-checks the whole
 * provider, where the project imports each class from its own module.
 */
function rootImportCopy(dir: string): void {
  for (const entry of [
    "main.ts",
    "stacks",
    "modules",
    "manifests",
    "cdktf.json",
    "package.json",
    "tsconfig.json",
  ]) {
    cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  }
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  const sources = [
    "main.ts",
    ...["stacks", "modules"].flatMap((folder) =>
      readdirSync(path.join(dir, folder), { recursive: true, encoding: "utf8" })
        .filter((file) => file.endsWith(".ts"))
        .map((file) => path.join(folder, file)),
    ),
  ];
  for (const source of sources) {
    const file = path.join(dir, source);
    const rewritten = readFileSync(file, "utf8").replace(
      /import (?:type )?\{([^}]+)\} from "(@cdktf\/provider-[a-z]+)\/lib\/([a-z0-9-]+)";/g,
      (_, names: string, pkg: string, module: string) => {
        const namespace = module.replace(/-([a-z0-9])/g, (__, next: string) => next.toUpperCase());
        // Named after the package too: two providers have a `provider` module (helm's and http's).
        const alias = `${pkg.replace("@cdktf/provider-", "")}_${namespace}Module`;
        const aliases = names
          .split(",")
          .map((name) => name.trim().replace(/^type /, ""))
          .filter((name) => name !== "")
          .map((name) => {
            const [imported, local] = name.split(/\s+as\s+/);
            return `import ${local ?? imported} = ${alias}.${imported};`;
          });
        return [`import { ${namespace} as ${alias} } from "${pkg}";`, ...aliases].join("\n");
      },
    );
    writeFileSync(file, rewritten);
  }
}

/** A command to compare, with what to do before each of its runs (clear a cache, say). */
interface Variant {
  readonly command: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly before?: () => void;
}

/**
 * Median time and worst peak of each variant over `runs` rounds, the variants taking turns within a
 * round: on a shared machine, a burst of load then slows every variant alike rather than one.
 */
async function interleaved(runs: number, variants: readonly Variant[]): Promise<Measure[]> {
  const results: Measure[][] = variants.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [index, variant] of variants.entries()) {
      variant.before?.();
      // A variant that cannot run here (tsx on Node 22 and later, below) shows as n/a, not as a crash.
      results[index].push(await measure(variant.command, variant.env).catch(() => ({ seconds: Number.NaN })));
    }
  }
  return results.map((measures) => {
    const peaks = measures.map((m) => m.peakMb).filter((p): p is number => p !== undefined);
    return {
      seconds: median(measures.map((m) => m.seconds)),
      peakMb: peaks.length ? Math.max(...peaks) : undefined,
      cpuSeconds: median(measures.map((m) => m.cpuSeconds ?? Number.NaN)),
    };
  });
}

/**
 * The synth rows: the app that cdktf runs, cold (no compiled app, no code cache: the first synth
 * after a clone or an edit) and warm, beside the `cdktf init` default (ts-node) and tsx, the
 * launcher-free alternative; then the same through the cdktf CLI.
 */
async function benchSynth(out: () => NodeJS.ProcessEnv, scratch: () => string, long: boolean) {
  process.stderr.write("synth (the app that cdktf runs), cold and warm...\n");
  const tsx = "node --conditions=import --import tsx main.ts";
  const rootImports = scratch();
  rootImportCopy(rootImports);
  // What cdktf runs (cdktf.json's "app").
  const { app } = JSON.parse(readFileSync(path.join(root, "cdktf.json"), "utf8")) as { app: string };
  const ours: Variant[] = [
    { command: app, env: out(), before: clearAppBuild },
    { command: app, env: out() },
  ];
  const reference: Variant = { command: `cd ${rootImports} && npx ts-node main.ts`, env: out() };
  if (!long) {
    // The reference takes about 20 s a run: once, after our rounds, keeps the quick bench near a minute.
    const [appCold, appWarm] = await interleaved(3, ours);
    const [rootDefault] = await interleaved(1, [reference]);
    return synthReport({ appCold, appWarm, rootDefault });
  }
  const [appCold, appWarm, tsxCold, tsxWarm, appDefault, rootDefault] = await interleaved(3, [
    ...ours,
    { command: tsx, env: { ...out(), TSX_DISABLE_CACHE: "1" } },
    { command: tsx, env: out() },
    { command: "npx ts-node main.ts", env: out() },
    reference,
  ]);
  process.stderr.write("cdktf synth (CLI included)...\n");
  const cliOurs = await measure("npx cdktf synth --output $CDKTF_OUTDIR", out());
  const cliDefault = await measure(
    'npx cdktf synth --app "npx ts-node main.ts" --output $CDKTF_OUTDIR',
    out(),
  );
  return synthReport({ appCold, appWarm, rootDefault, tsxCold, tsxWarm, appDefault, cliOurs, cliDefault });
}

interface SynthMeasures {
  readonly appCold: Measure;
  readonly appWarm: Measure;
  /** The `cdktf init` default: ts-node with the provider packages' root imports. */
  readonly rootDefault: Measure;
  readonly tsxCold?: Measure;
  readonly tsxWarm?: Measure;
  /** ts-node on the project's own (deep) imports. */
  readonly appDefault?: Measure;
  readonly cliOurs?: Measure;
  readonly cliDefault?: Measure;
}

/** The targets (issue 19): cold synth time against the `cdktf init` default's, its memory, and `npm test`. */
const TARGETS = { synthRatio: 0.085, synthMb: 200, npmTestSeconds: 30 } as const;

function synthReport(m: SynthMeasures) {
  const ratio = (a: Measure, reference: Measure) => a.seconds / reference.seconds;
  const cpuRatio = (a: Measure, reference: Measure) =>
    (a.cpuSeconds ?? Number.NaN) / (reference.cpuSeconds ?? Number.NaN);
  const bar = (name: string, a: Measure) =>
    `  ${name} synth at most ${TARGETS.synthRatio} of the default's time, in ${TARGETS.synthMb} MB: ${ratio(a, m.rootDefault).toFixed(3)} (CPU time ${cpuRatio(a, m.rootDefault).toFixed(3)}), ${mb(a)} ${
      ratio(a, m.rootDefault) <= TARGETS.synthRatio &&
      (a.peakMb ?? Number.POSITIVE_INFINITY) <= TARGETS.synthMb
        ? "met"
        : "MISSED"
    }`;
  const cpu = (name: string, a: Measure | undefined) =>
    a ? [`  ${name.padEnd(28)} ${(a.cpuSeconds ?? Number.NaN).toFixed(2)} s CPU`] : [];
  const optionalRow = (name: string, a: Measure | undefined, reference: Measure | undefined) =>
    a && reference ? [row(name, a, reference)] : [];
  return {
    rows: [
      row("synth, all stacks: cold", m.appCold, m.rootDefault),
      row("synth, all stacks: warm", m.appWarm, m.rootDefault),
      ...optionalRow("  tsx instead: cold", m.tsxCold, m.rootDefault),
      ...optionalRow("  tsx instead: warm", m.tsxWarm, m.rootDefault),
      ...optionalRow("  ts-node, project's imports", m.appDefault, m.rootDefault),
      ...optionalRow("cdktf synth (CLI + app)", m.cliOurs, m.cliDefault),
    ],
    targets: [bar("cold", m.appCold), bar("warm", m.appWarm)],
    cpu: [
      "CPU time (user + system) of the synth rows:",
      ...cpu("cold", m.appCold),
      ...cpu("warm", m.appWarm),
      ...cpu("tsx cold", m.tsxCold),
      ...cpu("tsx warm", m.tsxWarm),
      ...cpu("ts-node, project's imports", m.appDefault),
      ...cpu("cdktf init default", m.rootDefault),
    ],
  };
}

async function main() {
  const scratchDirs: string[] = [];
  const scratch = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bench-"));
    scratchDirs.push(dir);
    return dir;
  };
  const out = () => ({ CDKTF_OUTDIR: path.join(scratch(), "cdktf.out") });
  try {
    const long = process.argv.includes("--long");
    const synth = await benchSynth(out, scratch, long);
    const header = `${"".padEnd(30)} ${"project".padStart(18)}   ${"cdktf init default".padStart(18)}   ratio`;
    if (process.argv.includes("--synth-only")) {
      const lines = ["", header, ...synth.rows, "", ...synth.cpu, "", "targets:", ...synth.targets];
      process.stdout.write(`${lines.join("\n")}\n`);
      return;
    }
    await benchRest(synth, header, long);
  } finally {
    for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** `npm test` as a user runs it (type-check, lint, jest), with the machine's load before it. */
async function benchNpmTest() {
  process.stderr.write("npm test...\n");
  const [loadBefore] = loadavg();
  const npmTest = await measure("npm test --silent");
  const seconds = npmTest.seconds.toFixed(1);
  const cpu = (npmTest.cpuSeconds ?? Number.NaN).toFixed(1);
  return {
    row: `${"npm test (types, lint, jest)".padEnd(30)} ${`${seconds} s`.padStart(9)} ${mb(npmTest).padStart(8)}   ${cpu} s CPU; load average ${loadBefore.toFixed(1)} before it`,
    target: `  npm test at most ${TARGETS.npmTestSeconds} s: ${seconds} s ${npmTest.seconds <= TARGETS.npmTestSeconds ? "met" : "MISSED"}`,
  };
}

async function benchRest(
  synth: { rows: string[]; cpu: string[]; targets: string[] },
  header: string,
  long: boolean,
) {
  if (!long) {
    const npmTest = await benchNpmTest();
    process.stderr.write("traffic tool beside autocannon...\n");
    const traffic = await benchTraffic(QUICK);
    process.stderr.write("canary: judging, and its own overhead...\n");
    const canary = await benchCanary();
    const lines = [
      "",
      header,
      ...synth.rows,
      npmTest.row,
      "",
      ...synth.cpu,
      ...benchLines(traffic),
      ...canary,
      "",
      "synth and npm test targets:",
      ...synth.targets,
      npmTest.target,
      "",
      "The quick bench; `npm run bench -- --long` adds tsx, the cdktf CLI, the jest suite beside ts-jest and",
      "the traffic tool's long rounds.",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return;
  }
  // The project's jest settings with ts-jest as the transformer: the same suites and workers, so the
  // difference is the transformer's.
  const { jest: projectJest } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const tsJest = JSON.stringify({
    ...projectJest,
    transform: { ...projectJest.transform, "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
    testTimeout: 120000,
  });
  process.stderr.write("test suite...\n");
  const jestOurs = await measure("npx jest --silent");
  const jestDefault = await measure(`npx jest --silent --config '${tsJest}'`);
  const npmTest = await benchNpmTest();
  process.stderr.write("traffic tool beside autocannon...\n");
  const traffic = await benchTraffic(LONG);
  process.stderr.write("canary: judging, and its own overhead...\n");
  const canary = await benchCanary();

  const lines = [
    "",
    header,
    ...synth.rows,
    row("jest, whole suite", jestOurs, jestDefault),
    npmTest.row,
    "",
    ...synth.cpu,
    ...benchLines(traffic),
    ...canary,
    "",
    "synth and npm test targets:",
    ...synth.targets,
    npmTest.target,
    "",
    "The cdktf init default column is ts-node with root imports, except on the CLI row (ts-node, the project's imports);",
    "the cdktf CLI adds the same fixed cost to both sides of that row (it starts, runs the app, reads its output).",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
});
