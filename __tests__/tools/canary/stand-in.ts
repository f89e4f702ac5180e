/**
 * A loopback stand-in for the mesh that a canary drives: one HTTP server on 127.0.0.1 playing the
 * gateway and the shopfront's pods, whose split follows the weights the apply command last wrote.
 * The apply command of the tests appends its SHOPFRONT_WEIGHTS to a log, as a deploy would change
 * the VirtualService; the gateway reads the log's last line whenever it changed. Versions answer
 * `<pod>:<version>` as the shopfront does, and can be made to fail, slow down, or be starved.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAtLeast, listenOnLoopback, weightedPicker } from "../traffic/mesh";

export interface VersionBehaviour {
  /** Every `errorEvery`-th request to the version answers 500. */
  readonly errorEvery?: number;
  /** The 500's body: the version's own answer line (an error page naming it), or a bare text naming none. */
  readonly errorBody?: "named" | "bare";
  /** Each answer waits this long. */
  readonly delayMs?: number;
}

export interface StandInOptions {
  /** The weights deployed before the canary. */
  readonly weights: Readonly<Record<string, number>>;
  readonly behaviour?: Readonly<Record<string, VersionBehaviour>>;
  /** The gateway gives this version only this fraction of its weight (the rest to the others). */
  readonly starve?: { readonly version: string; readonly fraction: number };
  /** Called with each request's number, for a test that acts mid-batch. */
  readonly onRequest?: (count: number) => void;
}

export interface StandIn {
  readonly url: string;
  /** The project folder of the run: the apply log, settings.env and the report go here. */
  readonly dir: string;
  /** An --apply-command that appends SHOPFRONT_WEIGHTS to the log the gateway follows. */
  readonly applyCommand: string;
  /** SHOPFRONT_WEIGHTS of each apply, in order. */
  applied(): string[];
  /** Requests served so far. */
  requests(): number;
  close(): Promise<void>;
}

const parse = (text: string): Record<string, number> =>
  Object.fromEntries(text.split(",").map((pair) => [pair.split("=")[0], Number(pair.split("=")[1])]));

export async function startStandIn(options: StandInOptions): Promise<StandIn> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "canary-stand-in-"));
  const log = path.join(dir, "applied.log");
  let seen = -1;
  let weights: Record<string, number> = { ...options.weights };
  let pick = weightedPicker(weights);
  const perVersion = new Map<string, number>();
  let count = 0;
  const follow = () => {
    const changed = existsSync(log) ? statSync(log).size : -1;
    if (changed === seen) return;
    seen = changed;
    const lines = readFileSync(log, "utf8").trim().split("\n");
    weights = parse(lines[lines.length - 1]);
    const starve = options.starve;
    if (starve && (weights[starve.version] ?? 0) > 0) {
      const taken = weights[starve.version] * (1 - starve.fraction);
      const others = Object.keys(weights).filter((v) => v !== starve.version && weights[v] > 0);
      weights[starve.version] -= taken;
      for (const v of others) weights[v] += taken / Math.max(1, others.length);
      if (others.length === 0) weights.v1 = taken;
    }
    pick = weightedPicker(weights);
  };
  const server = http.createServer((_request, response) => {
    count++;
    options.onRequest?.(count);
    if (existsSync(log)) follow();
    const version = pick();
    const nth = (perVersion.get(version) ?? 0) + 1;
    perVersion.set(version, nth);
    const behaviour = options.behaviour?.[version] ?? {};
    const answer = `shopfront-${version}-5d8f7c9b6-0:${version}\n`;
    const send = () => {
      if (behaviour.errorEvery && nth % behaviour.errorEvery === 0) {
        response.writeHead(500).end(behaviour.errorBody === "bare" ? "Internal Server Error" : answer);
      } else {
        response.end(answer);
      }
    };
    if (behaviour.delayMs) afterAtLeast(behaviour.delayMs, send);
    else send();
  });
  const url = `http://127.0.0.1:${await listenOnLoopback(server)}/`;
  return {
    url,
    dir,
    applyCommand: `printf '%s\\n' "$SHOPFRONT_WEIGHTS" >> '${log}'`,
    applied: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []),
    requests: () => count,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
