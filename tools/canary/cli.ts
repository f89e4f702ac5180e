/**
 * `npm run canary -- --to <version>`: shifts the shopfront's traffic to one version step by step,
 * judges each step from requests through the gateway, and promotes (the final weights written to the
 * settings file) or rolls back (the starting weights applied again). `run` is the whole program,
 * its input and output injected; `main` is the process around it (Ctrl-C, exit codes).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import type { Env } from "../../modules/settings/load";
import { type Host, type ProcessIo, parseCommand, runProcess, UsageError } from "../command-line";
import { addFlags, readFlags } from "../declared-flags";
import { resolveUrl, type Sourced } from "../traffic/targets";
import { authorizationHeaders, readToken } from "../traffic/token";
import { DEFAULT_APPLY, shellCommand } from "./apply";
import { type CanaryFlags, FLAGS } from "./flags";
import { assertEnoughRequests, assertReportWritable, promotionNotes, resolveFrom } from "./inputs";
import { DEFAULT_APPLY_SECONDS, estimate, formatWeights, planSteps } from "./plan";
import { MIN_TARGET_RESPONSES } from "./power";
import { canaryReport } from "./report";
import { NothingApplied, runRollout } from "./rollout";
import { assertWritable, settingsFileOf } from "./settings-file";
import type { CanaryExitCode } from "./summary";
import { dryRunText, finalText, introLines } from "./text";

export interface Io extends ProcessIo {
  /**
   * The environment the apply command gets (with SHOPFRONT_WEIGHTS set): the process's own, so that
   * the deploy reads the settings file itself and names it in its messages. Default: `env`.
   */
  readonly processEnv?: Env;
  /** The first Ctrl-C: roll back at the next safe point. */
  readonly interrupt?: AbortSignal;
  /** A second Ctrl-C: interrupt the apply under way, and exit. */
  readonly abandon?: AbortSignal;
  /** The report's time stamp. */
  readonly now?: () => Date;
}

export type { Host } from "../command-line";

type Given = Readonly<Record<string, string | boolean | undefined>>;

async function canary(flags: CanaryFlags, io: Io): Promise<CanaryExitCode> {
  const target = flags.to;
  const from = resolveFrom(flags, io.env, io.cwd);
  const plan = planSteps(from.value, target, flags.steps, from.source);
  assertEnoughRequests(plan, target, flags.requests);
  const apply = flags.applyCommand === undefined ? DEFAULT_APPLY : shellCommand(flags.applyCommand);
  const settings = settingsFileOf(io.env, io.cwd);
  const urlInputs = { flag: flags.url, env: io.env, cwd: io.cwd, outputsFile: flags.outputsFile };
  if (flags.dryRun) {
    let gateway: string;
    try {
      const url = resolveUrl(urlInputs);
      gateway = `${url.value.href} (from ${url.source})`;
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      gateway = `none found yet: ${error.message}`;
    }
    const reckoned = estimate({
      steps: plan.steps.length,
      requests: flags.requests,
      concurrency: flags.concurrency,
      settleSeconds: flags.settle / 1000,
      applySeconds: flags.applyCommand === undefined ? DEFAULT_APPLY_SECONDS : undefined,
    });
    if (flags.json) {
      const steps = plan.steps.map(({ number, targetWeight, weights }) => ({
        step: number,
        targetWeight,
        weights,
      }));
      const json = {
        dryRun: true,
        target,
        from: from.value,
        fromSource: from.source,
        gateway,
        applyCommand: apply.text,
      };
      const figures = {
        skipped: plan.skipped,
        requests: flags.requests,
        estimateSeconds: Math.round(reckoned.seconds),
      };
      io.stdout(`${JSON.stringify({ ...json, steps, ...figures }, null, 2)}\n`);
      return 0;
    }
    io.stdout(
      dryRunText({
        target,
        from: formatWeights(from.value),
        fromSource: from.source,
        gateway,
        apply: apply.text,
        steps: plan.steps,
        skipped: plan.skipped,
        requests: flags.requests,
        minAnswers: MIN_TARGET_RESPONSES,
        estimate: reckoned,
      }),
    );
    return 0;
  }
  const url: Sourced<URL> = resolveUrl(urlInputs);
  // Read before anything is applied: a bad token file stops the canary with nothing changed.
  const token = readToken({ flag: flags.tokenFile, env: io.env, cwd: io.cwd });
  assertWritable(settings);
  assertReportWritable(flags.report, io.cwd);
  const out = flags.json ? io.stderr : io.stdout;
  out(
    introLines({
      target,
      steps: plan.steps,
      from: formatWeights(from.value),
      fromSource: from.source,
      url: url.value.href,
      urlSource: url.source,
      requests: flags.requests,
      concurrency: flags.concurrency,
      apply: apply.text,
    }),
  );
  const summary = await runRollout(
    {
      target,
      steps: plan.steps,
      from,
      url,
      headers: authorizationHeaders(token?.value),
      apply,
      settings,
      requests: flags.requests,
      concurrency: flags.concurrency,
      timeoutMs: flags.timeout,
      maxTimeMs: flags.maxTime,
      applyTimeoutMs: flags.applyTimeout,
      settleMs: flags.settle,
      alpha: flags.alpha,
      maxErrorRate: flags.maxErrorRate,
      maxLatencyIncrease: flags.maxLatencyIncrease,
      notes: (verdict) =>
        verdict === "promoted"
          ? promotionNotes(
              io.env,
              io.cwd,
              flags.outputsFile,
              formatWeights(plan.steps[plan.steps.length - 1].weights),
            )
          : [],
    },
    {
      out,
      stderr: io.stderr,
      stderrIsTTY: io.stderrIsTTY,
      env: io.processEnv ?? io.env,
      cwd: io.cwd,
      interrupt: io.interrupt,
      abandon: io.abandon,
    },
  );
  if (flags.report !== undefined) {
    writeFileSync(
      path.resolve(io.cwd, flags.report),
      canaryReport(summary, (io.now ?? (() => new Date()))()),
    );
  }
  if (flags.json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else io.stdout(finalText(summary));
  return summary.exitCode;
}

/** Runs the canary on `argv` (the arguments after the script name) and resolves to its exit code. */
export async function run(argv: readonly string[], io: Io): Promise<CanaryExitCode> {
  let exitCode: CanaryExitCode = 0;
  const program = addFlags(
    new Command("canary")
      .description(
        "Shifts the shopfront's traffic to one version step by step, judges each step from requests through the gateway, and promotes or rolls back.",
      )
      .exitOverride()
      .configureOutput({ writeOut: io.stdout, writeErr: io.stderr }),
    FLAGS,
  ).action(async (given: Given) => {
    try {
      exitCode = await canary(readFlags(FLAGS, given), io);
    } catch (error) {
      if (!(error instanceof NothingApplied)) throw error;
      io.stderr(`${error.message}\n`);
      exitCode = error.exitCode;
    }
  });
  return (await parseCommand(program, argv, io.stderr)) ?? exitCode;
}

/**
 * The process around `run` (runProcess). The first Ctrl-C rolls back at the next safe point (an
 * apply under way finishes first); a second interrupts that apply, and the canary exits saying what
 * may be deployed; a third ends the process at once.
 */
export function main(host: Host = process, runner: typeof run = run): void {
  const interrupt = new AbortController();
  const abandon = new AbortController();
  runProcess(host, {
    name: "the canary",
    ctrlC: [
      () => {
        host.stderr.write(
          "\nCtrl-C: rolling back once the current apply or batch stops (Ctrl-C again to interrupt an apply)\n",
        );
        interrupt.abort();
      },
      () => {
        host.stderr.write("\nCtrl-C again: interrupting the apply under way\n");
        abandon.abort();
      },
      () => host.exit(130),
    ],
    run: (argv, io) =>
      runner(argv, { ...io, processEnv: host.env, interrupt: interrupt.signal, abandon: abandon.signal }),
  });
}

if (require.main === module) main();
