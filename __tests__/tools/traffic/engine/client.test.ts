import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { HttpClient } from "../../../../tools/traffic/engine/client";
import { MAX_BODY_BYTES, type Outcome } from "../../../../tools/traffic/engine/outcome";
import { runBatch } from "../../../../tools/traffic/engine/runs";
import { Tally } from "../../../../tools/traffic/tally";
import { closeAll, deadPort, startFixedServer, startSilentServer } from "../mesh";

const TLS_FIXTURES = path.join(__dirname, "..", "..", "..", "fixtures", "traffic", "tls");

/** A raw TCP server on 127.0.0.1 that gives each connection to `onConnection`. */
async function rawServer(onConnection: (socket: net.Socket, index: number) => void) {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    onConnection(socket, connections++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A raw server that writes `raw` in answer to every request it reads. */
function answering(raw: string | ((request: number) => string)) {
  return rawServer((socket) => {
    let requests = 0;
    socket.on("data", () => {
      const text = typeof raw === "string" ? raw : raw(requests);
      requests++;
      socket.write(text);
    });
  });
}

function answer(body: string, headers = ""): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`;
}

/** Sends `count` GETs one after the other on a one-connection client; returns their outcomes. */
async function getInTurn(url: URL, count: number, timeoutMs = 2000): Promise<Outcome[]> {
  const client = new HttpClient(url, { maxSockets: 1, timeoutMs });
  const outcomes: Outcome[] = [];
  try {
    for (let i = 0; i < count; i++) outcomes.push(await client.get());
  } finally {
    await client.close();
  }
  return outcomes;
}

afterAll(closeAll);

describe("request engine", () => {
  test("keeps `concurrency` connections alive across a whole run", async () => {
    const server = await rawServer((socket) => socket.on("data", () => socket.write(answer("pod-a:v1"))));
    const client = new HttpClient(server.url, { maxSockets: 4, timeoutMs: 2000 });
    const outcomes: Outcome[] = [];
    const run = await runBatch(client, {
      requests: 200,
      concurrency: 4,
      maxTimeMs: 5000,
      unreachableAfter: 4,
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    await client.close();
    await server.close();
    expect(run).toMatchObject({ sent: 200, stopped: undefined });
    expect(outcomes.filter((o) => o.kind === "response" && o.body === "pod-a:v1")).toHaveLength(200);
    expect(server.connections()).toBe(4);
  });

  test("requests beyond the connections wait their turn, first come first served, however many", async () => {
    const server = await rawServer((socket) => {
      let requests = 0;
      socket.on("data", () => socket.write(answer(`pod-${requests++}:v1`)));
    });
    const client = new HttpClient(server.url, { maxSockets: 2, timeoutMs: 10_000 });
    const outcomes = await Promise.all(Array.from({ length: 3000 }, () => client.get()));
    await client.close();
    await server.close();
    // Two connections take the requests in turn: each answers its own count, in order of the calls.
    const bodies = outcomes.map((o) => (o.kind === "response" ? o.body : o.cause));
    expect(bodies.slice(0, 4)).toEqual(["pod-0:v1", "pod-0:v1", "pod-1:v1", "pod-1:v1"]);
    expect(bodies.at(-1)).toBe("pod-1499:v1");
    expect(server.connections()).toBe(2);
  });

  test("a request the server drops on a reused connection, unanswered, goes once more on a fresh one", async () => {
    // Each connection answers its first request and closes at its second: a keep-alive race.
    const server = await rawServer((socket) => {
      let requests = 0;
      socket.on("data", () => {
        if (++requests === 1) socket.write(answer("pod-a:v1"));
        else socket.destroy();
      });
    });
    const outcomes = await getInTurn(server.url, 2);
    await server.close();
    expect(outcomes).toMatchObject([
      { kind: "response", body: "pod-a:v1" },
      { kind: "response", body: "pod-a:v1" },
    ]);
    expect(server.connections()).toBe(2);
  });

  test("a server that drops every request unanswered gets it twice, then the request fails with ECONNRESET", async () => {
    const server = await rawServer((socket) => socket.on("data", () => socket.destroy()));
    const outcomes = await getInTurn(server.url, 1);
    await server.close();
    expect(outcomes).toMatchObject([{ kind: "failure", cause: "ECONNRESET" }]);
    expect(server.connections()).toBe(2);
  });

  test("a connection reset mid-body fails the request with ECONNRESET, and is not sent again", async () => {
    const server = await rawServer((socket) =>
      socket.on("data", () => {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npod-");
        setTimeout(() => socket.destroy(), 20);
      }),
    );
    const outcomes = await getInTurn(server.url, 1);
    await server.close();
    expect(outcomes).toMatchObject([{ kind: "failure", cause: "ECONNRESET" }]);
    expect(server.connections()).toBe(1);
  });

  test("a refused connection fails with ECONNREFUSED", async () => {
    const outcomes = await getInTurn(new URL(`http://127.0.0.1:${await deadPort()}/`), 1);
    expect(outcomes).toMatchObject([{ kind: "failure", cause: "ECONNREFUSED" }]);
  });

  test.each([
    ["not HTTP", "hello world\r\n\r\n"],
    ["a bad header line", "HTTP/1.1 200 OK\r\nno colon\r\nContent-Length: 0\r\n\r\n"],
    ["a bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n"],
    ["a bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
    ["a 100 Continue to a GET", "HTTP/1.1 100 Continue\r\n\r\n"],
  ])("%s fails the request as `bad response`", async (_name, raw) => {
    const server = await answering(raw);
    const outcomes = await getInTurn(server.url, 1);
    await server.close();
    expect(outcomes).toMatchObject([{ kind: "failure", cause: "bad response" }]);
  });

  test("a chunked body with extensions and trailers, in pieces, is one answer; the connection serves the next", async () => {
    const server = await rawServer((socket) =>
      socket.on("data", () => {
        const raw =
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\npod-a\r\n3\r\n:v1\r\n0\r\nX-Trailer: 1\r\n\r\n";
        socket.write(raw.slice(0, 50));
        setTimeout(() => socket.write(raw.slice(50)), 10);
      }),
    );
    const outcomes = await getInTurn(server.url, 2);
    await server.close();
    expect(outcomes).toMatchObject([
      { kind: "response", status: 200, body: "pod-a:v1", oversized: false },
      { kind: "response", status: 200, body: "pod-a:v1", oversized: false },
    ]);
    expect(server.connections()).toBe(1);
  });

  test("a body without a length runs until the server closes the connection; the next request gets a new one", async () => {
    const server = await rawServer((socket) =>
      socket.on("data", () => {
        socket.write("HTTP/1.0 200 OK\r\n\r\npod-a:");
        setTimeout(() => socket.end("v1"), 10);
      }),
    );
    const outcomes = await getInTurn(server.url, 2);
    await server.close();
    expect(outcomes).toMatchObject([
      { kind: "response", body: "pod-a:v1" },
      { kind: "response", body: "pod-a:v1" },
    ]);
    expect(server.connections()).toBe(2);
  });

  test("Connection: close and HTTP/1.0 without keep-alive end the connection; HTTP/1.0 keep-alive keeps it", async () => {
    const cases = [
      ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 8\r\n\r\npod-a:v1", 3],
      ["HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\npod-a:v1", 3],
      ["HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 8\r\n\r\npod-a:v1", 1],
    ] as const;
    for (const [raw, connections] of cases) {
      const server = await answering(raw);
      const outcomes = await getInTurn(server.url, 3);
      await server.close();
      expect(outcomes.map((o) => o.kind === "response" && o.body)).toEqual([
        "pod-a:v1",
        "pod-a:v1",
        "pod-a:v1",
      ]);
      expect(server.connections()).toBe(connections);
    }
  });

  test("204 has no body; an informational 103 before the response is skipped", async () => {
    const server = await answering((request) =>
      request === 0
        ? "HTTP/1.1 204 No Content\r\n\r\n"
        : "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
    );
    const outcomes = await getInTurn(server.url, 2);
    await server.close();
    expect(outcomes).toMatchObject([
      { kind: "response", status: 204, body: "" },
      { kind: "response", status: 404, body: "no" },
    ]);
  });

  test("bytes past a response do not leak into the next request's answer", async () => {
    const server = await answering((request) => `${answer(`pod-${request}:v1`)}HTTP/1.1 200 OK\r\n`);
    const outcomes = await getInTurn(server.url, 2);
    await server.close();
    expect(outcomes.map((o) => o.kind === "response" && o.body)).toEqual(["pod-0:v1", "pod-0:v1"]);
    // The stray bytes spoil the connection: the second request went on a new one.
    expect(server.connections()).toBe(2);
  });

  test("a response cut short of its Content-Length fails with ECONNRESET", async () => {
    const server = await rawServer((socket) =>
      socket.on("data", () => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")),
    );
    const outcomes = await getInTurn(server.url, 1);
    await server.close();
    expect(outcomes).toMatchObject([{ kind: "failure", cause: "ECONNRESET" }]);
  });

  test("chunked bodies and other paths of the same host come through node's own server", async () => {
    const server = http.createServer((request, response) => {
      response.write(
        request.url === "/" ? "pod-a" : `missing ${request.url} ${request.headers["user-agent"]}`,
      );
      response.end(":v1");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`);
    const client = new HttpClient(url, { maxSockets: 2, timeoutMs: 2000 });
    const [root, other] = await Promise.all([client.get(), client.get("/miztiik-error-generator?x=1")]);
    await client.close();
    server.close();
    expect(root).toMatchObject({ kind: "response", status: 200, body: "pod-a:v1" });
    expect(other).toMatchObject({
      kind: "response",
      status: 200,
      body: "missing /miztiik-error-generator?x=1 shopfront-traffic:v1",
    });
  });

  test("the timeout counts from the call, so a request waiting for a busy connection times out too", async () => {
    const silent = new URL(await startSilentServer());
    const client = new HttpClient(silent, { maxSockets: 1, timeoutMs: 100 });
    const started = performance.now();
    const outcomes = await Promise.all([client.get(), client.get()]);
    await client.close();
    expect(outcomes.map((o) => o.kind === "failure" && o.cause)).toEqual(["timeout", "timeout"]);
    expect(performance.now() - started).toBeLessThan(500);
  });

  test("a body that stops halfway times out; the connection is closed, not reused", async () => {
    const server = await rawServer((socket, index) =>
      socket.on("data", () =>
        socket.write(index === 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\npod-" : answer("pod-b:v1")),
      ),
    );
    const outcomes = await getInTurn(server.url, 2, 150);
    await server.close();
    expect(outcomes).toMatchObject([
      { kind: "failure", cause: "timeout" },
      { kind: "response", body: "pod-b:v1" },
    ]);
    expect(server.connections()).toBe(2);
  });

  test("abortAll ends requests in flight and waiting with its cause", async () => {
    const silent = new URL(await startSilentServer());
    const client = new HttpClient(silent, { maxSockets: 1, timeoutMs: 60_000 });
    const pending = Promise.all([client.get(), client.get()]);
    setTimeout(() => client.abortAll("max-time"), 20);
    const outcomes = await pending;
    await client.close();
    expect(outcomes.map((o) => o.kind === "failure" && o.cause)).toEqual(["max-time", "max-time"]);
  });

  test("close ends what is still in flight as `closed`", async () => {
    const silent = new URL(await startSilentServer());
    const client = new HttpClient(silent, { maxSockets: 1, timeoutMs: 60_000 });
    const pending = client.get();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.close();
    expect(await pending).toMatchObject({ kind: "failure", cause: "closed" });
  });

  test("a request the server drops as it dies is sent once more, and fails as refused", async () => {
    const server = await rawServer((socket) => socket.on("data", () => server.close()));
    const outcomes = await getInTurn(server.url, 1);
    expect(outcomes).toMatchObject([{ kind: "failure", cause: "ECONNREFUSED" }]);
    expect(server.connections()).toBe(1);
  });

  test("requests queued behind a connection that is refused each fail as refused, one after the other", async () => {
    const client = new HttpClient(new URL(`http://127.0.0.1:${await deadPort()}/`), {
      maxSockets: 2,
      timeoutMs: 2000,
    });
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => client.get()));
    await client.close();
    expect(outcomes.map((o) => o.kind === "failure" && o.cause)).toEqual(Array(50).fill("ECONNREFUSED"));
  });

  test("close in the same turn as the requests, before any connection is made, ends them all as `closed`", async () => {
    const server = await rawServer((socket) => socket.on("data", () => socket.write(answer("pod-a:v1"))));
    const client = new HttpClient(server.url, { maxSockets: 4, timeoutMs: 2000 });
    const pending = Promise.all(Array.from({ length: 20 }, () => client.get()));
    await client.close();
    const outcomes = await pending;
    // Whatever undici still had queued fails after close: the process must go on, nothing thrown.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    expect(outcomes.map((o) => o.kind === "failure" && o.cause)).toEqual(Array(20).fill("closed"));
  });

  test("close from the callback of a refused request ends the rest as `closed`", async () => {
    const client = new HttpClient(new URL(`http://127.0.0.1:${await deadPort()}/`), {
      maxSockets: 1,
      timeoutMs: 2000,
    });
    const outcomes: Outcome[] = [];
    let closing: Promise<void> | undefined;
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 3; i++) {
        client.request(undefined, (outcome) => {
          outcomes.push(outcome);
          closing ??= client.close();
          if (outcomes.length === 3) resolve();
        });
      }
    });
    await closing;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(outcomes.map((o) => o.kind === "failure" && o.cause)).toEqual([
      "ECONNREFUSED",
      "closed",
      "closed",
    ]);
  });

  test("a body over the cap is not read further and is `bad body`; the next request is answered", async () => {
    const big = new URL(await startFixedServer("x".repeat(100_000)));
    const outcomes = await getInTurn(big, 2);
    expect(outcomes).toMatchObject([
      { kind: "response", status: 200, oversized: true },
      { kind: "response", status: 200, oversized: true },
    ]);
    expect(outcomes.map((o) => o.kind === "response" && o.body.length)).toEqual([
      MAX_BODY_BYTES,
      MAX_BODY_BYTES,
    ]);
    const tally = new Tally();
    for (const outcome of outcomes) tally.record(outcome);
    expect(Object.fromEntries(tally.errorCauses())).toEqual({ "bad body": 2 });
  });

  test("a shopfront answer past the cap is not an answer, whatever its first bytes say", async () => {
    const padded = new URL(await startFixedServer(`${"a".repeat(MAX_BODY_BYTES - 3)}:v1${"1".repeat(10)}`));
    const outcomes = await getInTurn(padded, 1);
    const tally = new Tally();
    tally.record(outcomes[0]);
    expect(outcomes[0]).toMatchObject({ kind: "response", oversized: true });
    expect(tally.answers).toBe(0);
    expect(tally.badBodies).toBe(1);
  });

  test("a body of exactly the cap is read whole", async () => {
    const full = new URL(await startFixedServer("y".repeat(MAX_BODY_BYTES)));
    const outcomes = await getInTurn(full, 1);
    expect(outcomes).toMatchObject([{ kind: "response", oversized: false }]);
    expect(outcomes[0].kind === "response" && outcomes[0].body.length).toBe(MAX_BODY_BYTES);
  });

  test("https: undici speaks TLS, and an untrusted certificate is a failure by its TLS code", async () => {
    const server = https.createServer(
      {
        key: readFileSync(path.join(TLS_FIXTURES, "key.pem")),
        cert: readFileSync(path.join(TLS_FIXTURES, "cert.pem")),
      },
      (_request, response) => response.end("pod-a:v1"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = new URL(`https://127.0.0.1:${(server.address() as net.AddressInfo).port}/`);
    const outcomes = await getInTurn(url, 1);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Trusted through NODE_EXTRA_CA_CERTS, the same server answers: launch.test.ts.
    expect(outcomes).toMatchObject([{ kind: "failure", cause: "DEPTH_ZERO_SELF_SIGNED_CERT" }]);
  });
});

describe("request headers", () => {
  test("every request, on every path, carries the client's headers beside its own", async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const server = http.createServer((request, response) => {
      seen.push(request.headers);
      response.end("pod-a:v1");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`);
    const client = new HttpClient(url, {
      maxSockets: 2,
      timeoutMs: 2000,
      headers: { authorization: "Bearer a.b.c" },
    });
    try {
      await Promise.all([client.get(), client.get("/other"), client.get()]);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(seen).toHaveLength(3);
    for (const headers of seen) {
      expect(headers).toMatchObject({ authorization: "Bearer a.b.c", "user-agent": "shopfront-traffic" });
    }
  });
});
