/**
 * `npm run canary` in process (`run`), against the loopback stand-in whose split follows the weights
 * its apply command wrote.
 */
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readSettings } from "../../../modules/settings/file";
import { ingressAuthentication } from "../../../modules/shopfront/authentication";
import { type Host, main, run } from "../../../tools/canary/cli";
import { identityProvider } from "../traffic/identity-provider";
import { closeJwtGateways, startJwtGateway } from "../traffic/jwt-gateway";
import { deadPort } from "../traffic/mesh";
import { type StandIn, type StandInOptions, startStandIn } from "./stand-in";

const FROM = { v1: 50, v2: 30, v3: 20, v4: 0 };
const FROM_TEXT = "v1=50,v2=30,v3=20,v4=0";
const STEPS = [
  "v1=48,v2=28,v3=19,v4=5",
  "v1=38,v2=22,v3=15,v4=25",
  "v1=25,v2=15,v3=10,v4=50",
  "v1=0,v2=0,v3=0,v4=100",
];
const SETTINGS = `CLUSTER_NAME=demo\nSHOPFRONT_WEIGHTS=${FROM_TEXT}\n# kept as it is\n`;

const standIns: StandIn[] = [];
afterAll(async () => {
  for (const standIn of standIns) await standIn.close();
});

async function standIn(options: Partial<StandInOptions> = {}): Promise<StandIn> {
  const started = await startStandIn({ weights: FROM, ...options });
  standIns.push(started);
  writeFileSync(path.join(started.dir, "settings.env"), SETTINGS);
  return started;
}

interface CanaryRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The last line of stdout. */
  readonly last: string;
}

/** The canary as `npm run canary -- ...argv` runs it in the stand-in's folder, with its settings.env. */
async function canary(
  mesh: StandIn,
  argv: readonly string[],
  options: { interrupt?: AbortSignal; env?: Record<string, string> } = {},
): Promise<CanaryRun> {
  let stdout = "";
  let stderr = "";
  const code = await run(
    ["--to", "v4", "--url", mesh.url, "--apply-command", mesh.applyCommand, "--settle", "0s", ...argv],
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      stderrIsTTY: false,
      env: readSettings({ PATH: process.env.PATH, ...options.env }, mesh.dir),
      cwd: mesh.dir,
      interrupt: options.interrupt,
    },
  );
  return { code, stdout, stderr, last: stdout.trimEnd().split("\n").pop() ?? "" };
}

describe("a healthy target", () => {
  it("is promoted step by step, and settings.env holds the final weights, its other lines untouched", async () => {
    const mesh = await standIn();
    const result = await canary(mesh, []);
    expect(result.stderr).toBe("");
    expect(mesh.applied()).toEqual(STEPS);
    expect(result.stdout).toMatch(/^step 1\/4: v4 at 5%: 1000 requests; v4 50 answers, 0 errors, .*: PASS$/m);
    expect(result.stdout).toMatch(
      /^step 4\/4: v4 at 100%: 1000 requests; v4 1000 answers, .*baseline \(before the canary\) 1000 answers.*: PASS$/m,
    );
    expect(result.last).toBe("promoted: v4 at 100% (v1=0,v2=0,v3=0,v4=100), written to settings.env");
    expect(readFileSync(path.join(mesh.dir, "settings.env"), "utf8")).toBe(
      SETTINGS.replace(FROM_TEXT, STEPS[3]),
    );
    expect(result.code).toBe(0);
  });
});

describe("a failing target rolls back, the starting weights applied last", () => {
  it("5% of its answers 500s: rolled back at the first step; --json says so in one object", async () => {
    const mesh = await standIn({ behaviour: { v4: { errorEvery: 20 } } });
    const result = await canary(mesh, ["--json"]);
    expect(mesh.applied()).toEqual([STEPS[0], FROM_TEXT]);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({
      verdict: "rolled back",
      weights: FROM,
      stoppedAt: 1,
      exitCode: 1,
      steps: [{ step: 1, targetWeight: 5, weights: { v1: 48, v2: 28, v3: 19, v4: 5 }, verdict: "fail" }],
    });
    const [step] = summary.steps;
    expect(step.target).toMatchObject({ responses: 50, errors: 2 });
    expect(step.baseline).toMatchObject({ responses: 950, errors: 0 });
    expect(Object.keys(step.target)).toEqual([
      "responses",
      "errors",
      "errorRate",
      "answers",
      "p50",
      "p95",
      "p99",
    ]);
    expect(step.pValues.errors).toBeLessThan(0.01);
    expect(step.reason).toMatch(
      /^v4's error rate 4\.0% \(2 of 50\) is above the baseline's 0\.0% \(0 of 950\): p = /,
    );
    // The step lines went to stderr, so that stdout is the JSON alone.
    expect(result.stderr).toMatch(/^step 1\/4: v4 at 5%: 1000 requests; .*: FAIL: v4's error rate/m);
    expect(result.code).toBe(1);
  });

  it("500s whose page names no version: judged against the batch before the canary, caught at 25%", async () => {
    const mesh = await standIn({ behaviour: { v4: { errorEvery: 20, errorBody: "bare" } } });
    const result = await canary(mesh, []);
    expect(result.stdout).toMatch(/^step 1\/4: .*: PASS$/m);
    expect(result.stdout).toMatch(
      /^step 2\/4: v4 at 25%: .*: FAIL: errors that name no version rose to 1\.\d% \(1\d of 1000\) from 0\.0% \(0 of 1000\) before the canary: p = /m,
    );
    expect(mesh.applied()).toEqual([STEPS[0], STEPS[1], FROM_TEXT]);
    expect(result.code).toBe(1);
  });

  it("300 ms slower: rolled back at the first step", async () => {
    const mesh = await standIn({ behaviour: { v4: { delayMs: 300 } } });
    const result = await canary(mesh, []);
    expect(result.stdout).toMatch(
      /^step 1\/4: v4 at 5%: .*: FAIL: v4 is slower than the baseline by more than --max-latency-increase 20% \(p50 3\d\d(\.\d+)? ms against/m,
    );
    expect(mesh.applied()).toEqual([STEPS[0], FROM_TEXT]);
    expect(result.last).toMatch(
      /^rolled back at step 1\/4 \(v4 at 5%\): v4 is slower .*; v1=50,v2=30,v3=20,v4=0 re-applied$/,
    );
    expect(result.code).toBe(1);
  });

  it("almost no traffic reaches it: inconclusive, never a pass, and rolled back", async () => {
    const mesh = await standIn({ starve: { version: "v4", fraction: 0.02 } });
    const result = await canary(mesh, []);
    expect(result.stdout).toMatch(
      /^step 1\/4: v4 at 5%: .*: INCONCLUSIVE: only 1 answer from v4 in 1000 requests; a judgement needs 30$/m,
    );
    expect(mesh.applied()).toEqual([STEPS[0], FROM_TEXT]);
    expect(result.code).toBe(1);
  });

  it("Ctrl-C in the middle of a step: the batch stops, the starting weights are applied, exit 130", async () => {
    const interrupt = new AbortController();
    const mesh = await standIn({ onRequest: (count) => count === 2300 && interrupt.abort() });
    const result = await canary(mesh, [], { interrupt: interrupt.signal });
    expect(result.stdout).toMatch(
      /^step 2\/4: v4 at 25%: INTERRUPTED: interrupted by Ctrl-C after \d+ requests$/m,
    );
    expect(mesh.applied()).toEqual([STEPS[0], STEPS[1], FROM_TEXT]);
    expect(result.last).toBe(
      "rolled back at step 2/4 (v4 at 25%): interrupted by Ctrl-C; v1=50,v2=30,v3=20,v4=0 re-applied",
    );
    expect(result.code).toBe(130);
  });
});

describe("the apply command", () => {
  it("failing at a step: rolled back, naming the command and its exit code", async () => {
    const mesh = await standIn();
    const failing = `[ "$SHOPFRONT_WEIGHTS" = "${STEPS[1]}" ] && exit 3; ${mesh.applyCommand}`;
    const result = await canary(mesh, ["--apply-command", failing]);
    expect(result.stdout).toContain(
      `step 2/4: v4 at 25%: APPLY FAILED: the apply command \`${failing}\` exited 3\n`,
    );
    expect(mesh.applied()).toEqual([STEPS[0], FROM_TEXT]);
    expect(result.last).toBe(
      `rolled back at step 2/4 (v4 at 25%): the apply command \`${failing}\` exited 3; ${FROM_TEXT} re-applied`,
    );
    expect(result.code).toBe(1);
  });

  it("failing the rollback too: exit 3, and the last line says where the mesh may be and how to restore it", async () => {
    const mesh = await standIn({ behaviour: { v4: { errorEvery: 10 } } });
    const failing = `[ "$SHOPFRONT_WEIGHTS" = "${FROM_TEXT}" ] && exit 4; ${mesh.applyCommand}`;
    const result = await canary(mesh, ["--apply-command", failing]);
    expect(mesh.applied()).toEqual([STEPS[0]]);
    expect(result.last).toBe(
      `ROLLBACK FAILED at step 1/4 (v4 at 5%): the apply command \`${failing}\` exited 4; the mesh may still be at ${STEPS[0]}: restore with \`SHOPFRONT_WEIGHTS=${FROM_TEXT} ${failing}\``,
    );
    expect(result.code).toBe(3);
  });
});

describe("--dry-run", () => {
  it("prints every step's weights, the requests and a time estimate, and applies and sends nothing", async () => {
    const mesh = await standIn();
    const result = await canary(mesh, ["--dry-run", "--settle", "10s"]);
    expect(result.stdout).toContain(
      `canary plan: v4 to 100%, from ${FROM_TEXT} (from SHOPFRONT_WEIGHTS in settings.env:2)`,
    );
    for (const [index, weights] of STEPS.entries())
      expect(result.stdout).toMatch(new RegExp(`^${index + 1} +\\d+% +${weights} +1000$`, "m"));
    expect(result.stdout).toMatch(
      /^time: about \d+ min if every step passes \(plus 4 runs of --apply-command; /m,
    );
    expect(result.last).toBe("nothing applied (--dry-run)");
    expect(mesh.applied()).toEqual([]);
    expect(mesh.requests()).toBe(0);
    expect(result.code).toBe(0);
  });
  it("with --json, prints the plan as one object", async () => {
    const mesh = await standIn();
    const result = await canary(mesh, ["--dry-run", "--json"]);
    expect(JSON.parse(result.stdout)).toMatchObject({
      dryRun: true,
      target: "v4",
      from: FROM,
      steps: [
        { step: 1, targetWeight: 5, weights: { v1: 48, v2: 28, v3: 19, v4: 5 } },
        {},
        {},
        { targetWeight: 100 },
      ],
      requests: 1000,
    });
    expect(mesh.applied()).toEqual([]);
  });
});

describe("bad input: one line, exit 2, nothing applied", () => {
  it.each([
    [["--to", "v9"], 'error: --to="v9" is not one of v1, v2, v3, v4'],
    [
      ["--from", "v4=100"],
      "error: v4 is already at 100% (v1=0,v2=0,v3=0,v4=100, from --from): there is nothing to roll out",
    ],
    [["--steps", "25,5,100"], 'error: --steps="25,5,100": 5 follows 25: steps must increase'],
    [["--steps", "5,25,50"], 'error: --steps="5,25,50": the last step is 50, not 100'],
    [
      ["--requests", "500"],
      "error: --requests 500 is too few for step 1 (v4 at 5%): about 25 of them would reach v4, and a judgement needs 30 answers; use --requests 877 or more, or a larger first step",
    ],
  ])("%j", async (argv, line) => {
    const mesh = await standIn();
    const result = await canary(mesh, argv);
    expect(result.stderr.split("\n")[0]).toContain(line.replace(/^error: /, ""));
    expect(result.stderr).toBe(`${result.stderr.split("\n")[0]}\n`);
    expect(result.stdout).toBe("");
    expect(mesh.applied()).toEqual([]);
    expect(result.code).toBe(2);
  });

  it("an unreachable gateway before the first apply", async () => {
    const mesh = await standIn();
    const url = `http://127.0.0.1:${await deadPort()}/`;
    const result = await canary(mesh, ["--url", url]);
    expect(result.stderr).toBe(
      `error: cannot reach ${url}: ECONNREFUSED (no answer to 10 requests); nothing applied\n`,
    );
    expect(mesh.applied()).toEqual([]);
    expect(result.code).toBe(2);
  });

  it("a gateway whose split is not the weights a rollback would restore", async () => {
    const mesh = await standIn({ weights: { v1: 90, v4: 10 } });
    const result = await canary(mesh, []);
    expect(result.stderr).toMatch(
      /^error: the gateway's split before the canary \(v1=900,v2=0,v3=0,v4=100 answers\) is not v1=50,v2=30,v3=20,v4=0 \(from SHOPFRONT_WEIGHTS in settings\.env:2\), the weights a rollback would restore: p < 1e-12 < --alpha 0.01; pass --from with the weights deployed now; nothing applied\n$/,
    );
    expect(mesh.applied()).toEqual([]);
    expect(result.code).toBe(2);
  });

  it("an outputs file and SHOPFRONT_WEIGHTS that disagree on what is deployed", async () => {
    const mesh = await standIn();
    writeFileSync(
      path.join(mesh.dir, "cdktf-outputs.json"),
      JSON.stringify({ "shopfront-stack": { route_weights: "v1=90,v2=0,v3=0,v4=10" } }),
    );
    const result = await canary(mesh, []);
    expect(result.stderr).toBe(
      "error: the weights deployed, v1=90,v2=0,v3=0,v4=10 (from cdktf-outputs.json (shopfront-stack.route_weights)), are not SHOPFRONT_WEIGHTS=v1=50,v2=30,v3=20,v4=0 (from settings.env:2), which the next deploy would apply: pass --from with the weights deployed now, or refresh cdktf-outputs.json with `npm run -s output -- istio-stack shopfront-stack --outputs-file cdktf-outputs.json`\n",
    );
    expect(result.code).toBe(2);
  });
});

describe("an ingress that requires a token (JWT_REQUIRED=true)", () => {
  const ISSUER = "https://idp.example.com/realms/shop";
  afterAll(closeJwtGateways);

  /** The stand-in behind a gateway that applies the project's own RequestAuthentication and policy. */
  async function guarded() {
    const provider = await identityProvider(ISSUER);
    const mesh = await standIn();
    const documents = ingressAuthentication({ issuer: ISSUER, audiences: [], required: true }, "istio");
    const gateway = await startJwtGateway(mesh.url, documents, provider.jwks);
    writeFileSync(path.join(mesh.dir, "canary.jwt"), await provider.token());
    return { mesh, url: gateway.url };
  }

  it("promotes when the canary's requests carry the token of TRAFFIC_TOKEN_FILE", async () => {
    const { mesh, url } = await guarded();
    const result = await canary(mesh, ["--url", url], { env: { TRAFFIC_TOKEN_FILE: "canary.jwt" } });
    expect(result.last).toBe("promoted: v4 at 100% (v1=0,v2=0,v3=0,v4=100), written to settings.env");
    expect(mesh.applied()).toEqual(STEPS);
  });

  it("applies nothing without it: every request before the canary is denied", async () => {
    const { mesh, url } = await guarded();
    const result = await canary(mesh, ["--url", url]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no shopfront answers .* \(errors: status 403\); nothing applied/);
    expect(mesh.applied()).toEqual([]);
  });

  it("refuses a --token-file that holds no token before applying anything", async () => {
    const { mesh, url } = await guarded();
    writeFileSync(path.join(mesh.dir, "empty.jwt"), "\n");
    const result = await canary(mesh, ["--url", url, "--token-file", "empty.jwt"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --token-file empty\.jwt: does not hold a JWT/);
    expect(mesh.applied()).toEqual([]);
  });
});

describe("the process around run (main)", () => {
  /** A stand-in for `process` in an empty folder: its events are emitted by the test, its exits recorded. */
  function host(env: Record<string, string> = {}) {
    const folder = mkdtempSync(path.join(os.tmpdir(), "canary-main-"));
    const events = new EventEmitter();
    const exits: number[] = [];
    let stderr = "";
    const stand: Host & { exitCode?: number | string | null } = {
      argv: ["node", "cli.js", "--to", "v4"],
      env,
      stdout: { write: () => true },
      stderr: {
        write: (text: string) => {
          stderr += text;
          return true;
        },
      },
      cwd: () => folder,
      on: (event, listener) => events.on(event, listener),
      once: (event, listener) => events.once(event, listener),
      exit: (code) => {
        exits.push(code);
      },
    };
    return { stand, events, exits, stderr: () => stderr, remove: () => rmSync(folder, { recursive: true }) };
  }

  it("refuses a bad setting before anything, as every command does: exit 2, the setting named", () => {
    const { stand, stderr, remove } = host({ CLUSTER_NAME: "-bad" });
    let ran = false;
    main(stand, async () => {
      ran = true;
      return 0;
    });
    remove();
    expect({ ran, exitCode: stand.exitCode }).toEqual({ ran: false, exitCode: 2 });
    expect(stderr()).toMatch(/^error: invalid configuration:\n {2}- CLUSTER_NAME="-bad" is not /);
  });

  it("Ctrl-C rolls back, a second interrupts the apply, a third ends the process; one SIGINT delivered twice counts once", () => {
    jest.useFakeTimers({ now: 0 });
    try {
      const { stand, events, exits, stderr, remove } = host();
      const signals: { interrupt?: AbortSignal; abandon?: AbortSignal } = {};
      main(stand, (_argv, io) => {
        signals.interrupt = io.interrupt;
        signals.abandon = io.abandon;
        return new Promise(() => {});
      });
      remove();
      jest.advanceTimersByTime(5000);
      events.emit("SIGINT");
      events.emit("SIGINT");
      expect([signals.interrupt?.aborted, signals.abandon?.aborted, exits]).toEqual([true, false, []]);
      expect(stderr()).toMatch(/^\nCtrl-C: rolling back once the current apply or batch stops/);
      jest.advanceTimersByTime(1500);
      events.emit("SIGINT");
      expect([signals.abandon?.aborted, exits]).toEqual([true, []]);
      expect(stderr()).toContain("\nCtrl-C again: interrupting the apply under way\n");
      jest.advanceTimersByTime(1500);
      events.emit("SIGINT");
      expect(exits).toEqual([130]);
    } finally {
      jest.useRealTimers();
    }
  });

  it("counts a Ctrl-C pressed in the process's first second", () => {
    // Fake timers start the process clock (performance.now()) at 0, as a process just started.
    jest.useFakeTimers({ now: 0 });
    try {
      const { stand, events, remove } = host();
      let interrupt: AbortSignal | undefined;
      main(stand, (_argv, io) => {
        interrupt = io.interrupt;
        return new Promise(() => {});
      });
      remove();
      jest.advanceTimersByTime(200);
      events.emit("SIGINT");
      expect(interrupt?.aborted).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it("a run that leaves nothing to wait for before its report exits 2 with an error line, never 0", () => {
    const { stand, events, exits, stderr, remove } = host();
    main(stand, () => new Promise(() => {}));
    remove();
    expect(stand.exitCode).toBe(2);
    events.emit("beforeExit");
    expect(exits).toEqual([2]);
    expect(stderr()).toBe(
      "error: the canary ended before its report (nothing left to wait for): no result\n",
    );
  });
});
