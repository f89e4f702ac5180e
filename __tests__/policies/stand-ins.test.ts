import { createHook } from "node:async_hooks";
import http from "node:http";
import net from "node:net";
import { startStandIn } from "../tools/canary/stand-in";
import { startCountingPods, startEdgeGateway } from "../tools/traffic/edge";
import { identityProvider } from "../tools/traffic/identity-provider";
import { closeJwtGateways, startJwtGateway } from "../tools/traffic/jwt-gateway";
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
  // closes them. The canary's stand-in and the JWT gateway are upstreams too (the canary's JWT tests
  // put the gateway in front of the stand-in), so each kind is held idle at once.
  it("keep an idle keep-alive connection open past Node's own timeout (5 s, and a second's grace)", async () => {
    const provider = await identityProvider("https://idp.example.com/realms/shop");
    const canary = await startStandIn({ weights: { v1: 100 } });
    try {
      const servers = {
        router: await startRouter(await startPods({ v1: 1 }), { weights: { v1: 100 } }),
        "canary stand-in": canary.url,
        "JWT gateway": (await startJwtGateway(canary.url, [], provider.jwks)).url,
      };
      const closed: string[] = [];
      const sockets = Object.entries(servers).map(([name, url]) => {
        const { port, hostname, host } = new URL(url);
        const socket = net.connect(Number(port), hostname);
        socket.on("close", () => closed.push(name));
        socket.on("data", () => {});
        socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
        return socket;
      });
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      expect(closed).toEqual([]);
      for (const socket of sockets) socket.destroy();
    } finally {
      await closeJwtGateways();
      await canary.close();
    }
  }, 15_000);
});
