import { createHook } from "node:async_hooks";
import http from "node:http";
import net from "node:net";
import { startCountingPods, startEdgeGateway } from "../tools/traffic/edge";
import { closeAll, startPods, startRouter, startSlowServer } from "../tools/traffic/mesh";

/**
 * Runs `scenario`, then returns how many of the timers it made are still pending and keep the process
 * running: such a timer outlives its test and holds the jest worker.
 */
async function timersHeldAfter(scenario: () => Promise<void>): Promise<number> {
  const pending = new Map<number, { hasRef(): boolean }>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (type === "Timeout") pending.set(id, resource as { hasRef(): boolean });
    },
    destroy(id) {
      pending.delete(id);
    },
  }).enable();
  try {
    await scenario();
    // Node reports the timers that fired as destroyed a turn later.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    hook.disable();
  }
  return [...pending.values()].filter((timer) => timer.hasRef()).length;
}

/** Sends a GET to `url` and gives up on it once the request has reached the server. */
async function abandon(url: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const request = http.get(url, () => {});
    request.on("error", () => {});
    request.on("socket", (socket) =>
      socket.on("connect", () =>
        setTimeout(() => {
          request.destroy();
          resolve();
        }, 100),
      ),
    );
  });
}

afterEach(closeAll);

describe("the loopback stand-ins", () => {
  // A worker whose last test file ends with such an answer pending stays alive for the delay, and jest
  // forces a worker to exit after 500 ms ("A worker process has failed to exit gracefully").
  it("hold no timer for an answer still pending when their servers close", async () => {
    const held = await timersHeldAfter(async () => {
      await abandon(await startSlowServer("late", 5_000));
      const pods = await startCountingPods({ v1: 1 }, { v1: { delayMs: 5_000 } });
      const retries = { attempts: 2, perTryTimeoutMs: 4_000 };
      await abandon(
        await startEdgeGateway(pods, { weights: { v1: 100 }, seed: 1, timeoutMs: 5_000, retries }),
      );
      const delayed = await startCountingPods({ v1: 1 });
      const faultDelay = { ms: 5_000, percent: 100 };
      await abandon(await startEdgeGateway(delayed, { weights: { v1: 100 }, seed: 1, faultDelay }));
      await closeAll();
    });
    expect(held).toBe(0);
  });
});

describe("the loopback stand-ins' servers", () => {
  // A proxy stand-in (the router, the JWT gateway) reuses its keep-alive connections upstream; a server
  // closing one after Node's 5 s idle timeout, just as the proxy sends on it, made a 502 (seen in CI:
  // the traffic-auth-open sample counted "200 ×99, 502 ×1"). They close connections only when a test
  // closes them.
  it("keep an idle keep-alive connection open past Node's own timeout (5 s, and a second's grace)", async () => {
    const router = new URL(await startRouter(await startPods({ v1: 1 }), { weights: { v1: 100 } }));
    const socket = net.connect(Number(router.port), router.hostname);
    let closed = false;
    socket.on("close", () => {
      closed = true;
    });
    socket.on("data", () => {});
    socket.write(`GET / HTTP/1.1\r\nHost: ${router.host}\r\n\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    expect(closed).toBe(false);
    socket.destroy();
  }, 15_000);
});
