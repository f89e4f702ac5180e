/**
 * `npm run bench`: in one run on the same code, the project's toolchain beside the `cdktf init`
 * default (ts-node app, ts-jest tests): synthesizing every stack, the whole jest suite, and the
 * traffic tool beside autocannon. Prints times, peak memory (the whole process tree's resident set,
 * sampled from /proc) and the ratios against the targets.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { benchLines, benchTraffic, LONG, QUICK } from "./traffic/bench";

interface Measure {
  readonly seconds: number;
  /** Peak resident memory of the process and its descendants, in MB; undefined where /proc is missing. */
  readonly peakMb?: number;
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

/** Runs a shell command, bounded by `timeoutMs`, sampling its memory; fails on a non-zero exit. */
function measure(command: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, {
      cwd: root,
      shell: true,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, CHECKPOINT_DISABLE: "1", FORCE_COLOR: "0", ...env },
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    let peakKb = 0;
    // Every 25 ms for the first two seconds (a synth is over in less), then every 250 ms: a scan of
    // /proc costs CPU, which a tight loop would take from the jest run it measures.
    let sampler: NodeJS.Timeout;
    const sample = (elapsedMs: number) => {
      if (child.pid) peakKb = Math.max(peakKb, treeRssKb(child.pid));
      const next = elapsedMs < 2000 ? 25 : 250;
      sampler = setTimeout(() => sample(elapsedMs + next), next);
    };
    sample(0);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(sampler);
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`"${command}" exited with ${code}:\n${stderr}`));
      else resolve({ seconds, peakMb: Number.isNaN(peakKb) || peakKb === 0 ? undefined : peakKb / 1024 });
    });
  });
}

/** Median time and worst peak of `runs` runs. */
async function repeat(runs: number, command: string, env?: NodeJS.ProcessEnv): Promise<Measure> {
  const results: Measure[] = [];
  for (let i = 0; i < runs; i++) results.push(await measure(command, env));
  const times = results.map((r) => r.seconds).sort((a, b) => a - b);
  const peaks = results.map((r) => r.peakMb).filter((p): p is number => p !== undefined);
  return {
    seconds: times[Math.floor(times.length / 2)],
    peakMb: peaks.length ? Math.max(...peaks) : undefined,
  };
}

const mb = (m: Measure) => (m.peakMb === undefined ? "n/a" : `${m.peakMb.toFixed(0)} MB`);
const row = (name: string, ours: Measure, theirs: Measure) =>
  `${name.padEnd(30)} ${`${ours.seconds.toFixed(2)} s`.padStart(9)} ${mb(ours).padStart(8)}   ${`${theirs.seconds.toFixed(2)} s`.padStart(9)} ${mb(theirs).padStart(8)}   ${(ours.seconds / theirs.seconds).toFixed(2).padStart(5)}`;

async function main() {
  const out = () => ({ CDKTF_OUTDIR: path.join(mkdtempSync(path.join(tmpdir(), "bench-")), "cdktf.out") });
  // The project's jest settings with ts-jest as the transformer: the same suites and workers, so the
  // difference is the transformer's.
  const { jest: projectJest } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const tsJest = JSON.stringify({
    ...projectJest,
    transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
    testTimeout: 120000,
  });

  process.stderr.write("synth (the app that cdktf runs)...\n");
  const appOurs = await repeat(3, "node tools/app.js", out());
  const appDefault = await repeat(3, "npx ts-node main.ts", out());
  process.stderr.write("cdktf synth (CLI included)...\n");
  const cliOurs = await measure("npx cdktf synth --output $CDKTF_OUTDIR", out());
  const cliDefault = await measure(
    'npx cdktf synth --app "npx ts-node main.ts" --output $CDKTF_OUTDIR',
    out(),
  );
  process.stderr.write("test suite...\n");
  const jestOurs = await measure("npx jest --silent");
  const jestDefault = await measure(`npx jest --silent --config '${tsJest}'`);
  const npmTest = await measure("npm test --silent");
  process.stderr.write("traffic tool beside autocannon...\n");
  const traffic = await benchTraffic(process.argv.includes("--long") ? LONG : QUICK);

  const synthRatio = appOurs.seconds / appDefault.seconds;
  const lines = [
    "",
    `${"".padEnd(30)} ${"project".padStart(18)}   ${"cdktf init default".padStart(18)}   ratio`,
    row("synth, all stacks (app)", appOurs, appDefault),
    row("cdktf synth (CLI + app)", cliOurs, cliDefault),
    row("jest, whole suite", jestOurs, jestDefault),
    "",
    `npm test (type-check, lint, jest): ${npmTest.seconds.toFixed(1)} s`,
    ...benchLines(traffic),
    "",
    "targets:",
    `  synth at most 1/5 of the default's time: ${synthRatio.toFixed(2)} ${synthRatio <= 0.2 ? "met" : "MISSED"}`,
    `  synth under 400 MB peak: ${mb(appOurs)} ${(appOurs.peakMb ?? 0) < 400 ? "met" : "MISSED"}`,
    `  npm test under 30 s: ${npmTest.seconds.toFixed(1)} s ${npmTest.seconds < 30 ? "met" : "MISSED"}`,
    "",
    "The cdktf CLI adds the same fixed cost to both synth rows (it starts, runs the app, reads its output).",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
});
