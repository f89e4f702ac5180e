/**
 * Proves that `npm test` leaves the OS temp folder as it found it. Jest's globalSetup points TMPDIR
 * (TMP, TEMP) at a private folder for the run, so other processes on the machine cannot blur the
 * picture; globalTeardown lists what the tests left in it, removes the folder, and fails the run on
 * any leftover. The run's Node processes share a compile cache there (NODE_COMPILE_CACHE): each
 * cdktf CLI, app and tool that a test starts compiles the npm packages' code once per run, not once
 * per process.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Names the private folder for the teardown (globalSetup and globalTeardown share the process). */
export const RUN_TMPDIR = "SHOPFRONT_MESH_TEST_TMPDIR";
const SAVED = "SHOPFRONT_MESH_TEST_SAVED_TMPDIR";
const TMP_VARIABLES = ["TMPDIR", "TMP", "TEMP"] as const;
/** What startRun sets and finishRun restores. */
const RUN_VARIABLES = [...TMP_VARIABLES, "NODE_COMPILE_CACHE"] as const;

/**
 * Caches that tools keep in the temp folder across runs by design (tsx's transform cache and
 * Node's compile cache, which tsx turns on): inside the private folder they go with it.
 */
export const TOOL_CACHES: readonly RegExp[] = [/^tsx-\d+$/, /^node-compile-cache$/];

/**
 * Known leaks let through while their fix is under way, by the prefix of what they leave, with the test
 * that leaves it. Empty: anything a test leaves fails the run.
 */
export const PENDING_FIXES: ReadonlyArray<{ readonly prefix: string; readonly test: string }> = [];

export interface Leftovers {
  /** Entries no test is known to leave: these fail the run. */
  readonly unexpected: readonly string[];
  /** Entries of PENDING_FIXES, by the test that leaves them. */
  readonly pending: ReadonlyMap<string, readonly string[]>;
}

/** Sorts what is left in `dir` into unexpected leftovers and known, pending ones; ignores tool caches. */
export function leftoversIn(
  dir: string,
  pendingFixes: typeof PENDING_FIXES = PENDING_FIXES,
  toolCaches: readonly RegExp[] = TOOL_CACHES,
): Leftovers {
  const unexpected: string[] = [];
  const pending = new Map<string, string[]>();
  for (const name of readdirSync(dir).sort()) {
    if (toolCaches.some((cache) => cache.test(name))) continue;
    const known = pendingFixes.find((fix) => name.startsWith(fix.prefix));
    if (!known) unexpected.push(name);
    else pending.set(known.test, [...(pending.get(known.test) ?? []), name]);
  }
  return { unexpected, pending };
}

/** The failure message for unexpected leftovers, or undefined when there are none. */
export function leftoverReport(leftovers: Leftovers): string | undefined {
  if (leftovers.unexpected.length === 0) return undefined;
  const shown = leftovers.unexpected.slice(0, 50);
  const more = leftovers.unexpected.length - shown.length;
  return [
    `the tests left ${leftovers.unexpected.length} entries in the temp folder (a test or tool must remove what it creates):`,
    ...shown.map((name) => `  ${name}`),
    ...(more > 0 ? [`  ... and ${more} more`] : []),
  ].join("\n");
}

/** globalSetup: a private temp folder for this run, inherited by every worker and child process. */
export function startRun(): void {
  const dir = mkdtempSync(path.join(tmpdir(), "shopfront-mesh-test-"));
  process.env[SAVED] = JSON.stringify(
    Object.fromEntries(RUN_VARIABLES.map((name) => [name, process.env[name] ?? null])),
  );
  for (const name of TMP_VARIABLES) process.env[name] = dir;
  process.env.NODE_COMPILE_CACHE = path.join(dir, "node-compile-cache");
  process.env[RUN_TMPDIR] = dir;
}

/** globalTeardown: lists and removes the leftovers, restores the temp variables, fails on a leak. */
export function finishRun(): void {
  const dir = process.env[RUN_TMPDIR];
  if (!dir) throw new Error(`${RUN_TMPDIR} is unset: the temp-folder globalSetup did not run`);
  let leftovers: Leftovers;
  try {
    leftovers = leftoversIn(dir);
  } finally {
    const saved = JSON.parse(process.env[SAVED] ?? "{}") as Record<string, string | null>;
    for (const name of RUN_VARIABLES) {
      if (saved[name] === null || saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    delete process.env[RUN_TMPDIR];
    delete process.env[SAVED];
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [test, names] of leftovers.pending) {
    process.stderr.write(
      `temp folder: ${names.length} entries left by ${test} (known, to fix in that test): ${names.slice(0, 3).join(", ")}${names.length > 3 ? ", ..." : ""}\n`,
    );
  }
  const report = leftoverReport(leftovers);
  if (report) throw new Error(report);
}
