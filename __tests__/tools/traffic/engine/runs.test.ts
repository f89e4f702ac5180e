import { HttpClient } from "../../../../tools/traffic/engine/client";
import type { Outcome } from "../../../../tools/traffic/engine/outcome";
import { runAtRate, runBatch } from "../../../../tools/traffic/engine/runs";
import { closeAll, type Death, startDyingServer } from "../mesh";

afterAll(closeAll);

// Bounds, not expectations: a request that hangs ends as a `timeout` the tests would name; a busy
// machine (the whole suite beside Terraform) has stalled this process for seconds.

const BODY = "shopfront-v1-0:v1\n";

/** The causes of the failures among `outcomes`, with their counts. */
function causes(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    if (outcome.kind === "failure") counts[outcome.cause] = (counts[outcome.cause] ?? 0) + 1;
  }
  return counts;
}

describe.each<Death>(["exit", "reset"])("a server that dies mid-run (%s)", (death) => {
  test("runBatch: every request ends as an outcome, the ones after the death as connection errors", async () => {
    const server = await startDyingServer(200, BODY, death);
    const client = new HttpClient(new URL(server.url), { maxSockets: 10, timeoutMs: 10_000 });
    const outcomes: Outcome[] = [];
    const run = await runBatch(client, {
      requests: 800,
      concurrency: 10,
      maxTimeMs: 20_000,
      unreachableAfter: 10,
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    await client.close();
    expect(run).toMatchObject({ sent: 800, stopped: undefined });
    expect(outcomes).toHaveLength(800);
    expect(outcomes.filter((o) => o.kind === "response")).toHaveLength(server.answered());
    expect(server.answered()).toBe(200);
    const failed = causes(outcomes);
    const known = death === "exit" ? ["ECONNREFUSED", "ECONNRESET"] : ["ECONNRESET"];
    expect(Object.keys(failed).filter((cause) => !known.includes(cause))).toEqual([]);
    expect(Object.values(failed).reduce((sum, n) => sum + n, 0)).toBe(600);
  });

  test("runAtRate: the schedule goes on, and each request after the death is a connection error", async () => {
    const server = await startDyingServer(20, BODY, death);
    const client = new HttpClient(new URL(server.url), { maxSockets: 4, timeoutMs: 10_000 });
    const outcomes: Outcome[] = [];
    const run = await runAtRate(client, {
      rate: 200,
      durationMs: 400,
      maxTimeMs: 5000,
      unreachableAfter: 3,
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    await client.close();
    expect(run).toMatchObject({ sent: 80, stopped: undefined });
    expect(outcomes).toHaveLength(80);
    expect(outcomes.filter((o) => o.kind === "response")).toHaveLength(20);
    expect(Object.values(causes(outcomes)).reduce((sum, n) => sum + n, 0)).toBe(60);
  });
});
