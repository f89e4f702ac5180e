import http from "node:http";
import net from "node:net";
import { HttpClient, type Outcome, runBatch } from "../../tools/traffic/http";
import { closeAll, startFixedServer, startSilentServer } from "./mesh";

/** A raw TCP server on 127.0.0.1 that gives each connection to `onConnection`. */
async function rawServer(onConnection: (socket: net.Socket, index: number) => void) {
  let connections = 0;
  const server = net.createServer((socket) => onConnection(socket, connections++));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function answer(body: string, headers = ""): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`;
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
    client.close();
    await server.close();
    expect(run).toMatchObject({ sent: 200, stopped: undefined });
    expect(outcomes.filter((o) => o.kind === "response" && o.body === "pod-a:v1")).toHaveLength(200);
    expect(server.connections()).toBe(4);
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
    const client = new HttpClient(server.url, { maxSockets: 1, timeoutMs: 2000 });
    const first = await client.get();
    const second = await client.get();
    client.close();
    await server.close();
    expect(first).toMatchObject({ kind: "response", body: "pod-a:v1" });
    expect(second).toMatchObject({ kind: "response", body: "pod-a:v1" });
    expect(server.connections()).toBe(2);
  });

  test("a connection reset mid-body fails the request with ECONNRESET", async () => {
    const server = await rawServer((socket) =>
      socket.on("data", () => {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npod-");
        setTimeout(() => socket.destroy(), 20);
      }),
    );
    const client = new HttpClient(server.url, { maxSockets: 1, timeoutMs: 2000 });
    const outcome = await client.get();
    client.close();
    await server.close();
    expect(outcome).toMatchObject({ kind: "failure", cause: "ECONNRESET" });
  });

  test("an answer that is not HTTP fails the request as `bad response`", async () => {
    const server = await rawServer((socket) => socket.on("data", () => socket.write("hello world\r\n\r\n")));
    const client = new HttpClient(server.url, { maxSockets: 1, timeoutMs: 2000 });
    const outcome = await client.get();
    client.close();
    await server.close();
    expect(outcome).toMatchObject({ kind: "failure", cause: "bad response" });
  });

  test("chunked bodies and other paths of the same host come through node's own server", async () => {
    const server = http.createServer((request, response) => {
      response.write(request.url === "/" ? "pod-a" : "missing");
      response.end(":v1");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`);
    const client = new HttpClient(url, { maxSockets: 2, timeoutMs: 2000 });
    const [root, other] = await Promise.all([client.get(), client.get("/miztiik-error-generator?x=1")]);
    client.close();
    server.close();
    expect(root).toMatchObject({ kind: "response", status: 200, body: "pod-a:v1" });
    expect(other).toMatchObject({ kind: "response", status: 200, body: "missing:v1" });
  });

  test("the timeout counts from the call, so a request waiting for a busy connection times out too", async () => {
    const silent = new URL(await startSilentServer());
    const client = new HttpClient(silent, { maxSockets: 1, timeoutMs: 100 });
    const started = performance.now();
    const outcomes = await Promise.all([client.get(), client.get()]);
    client.close();
    expect(outcomes.map((o) => o.kind === "failure" && o.cause)).toEqual(["timeout", "timeout"]);
    expect(performance.now() - started).toBeLessThan(500);
  });

  test("abortAll ends requests in flight and waiting with its cause", async () => {
    const silent = new URL(await startSilentServer());
    const client = new HttpClient(silent, { maxSockets: 1, timeoutMs: 60_000 });
    const pending = Promise.all([client.get(), client.get()]);
    setTimeout(() => client.abortAll("max-time"), 20);
    const outcomes = await pending;
    client.close();
    expect(outcomes.map((o) => o.kind === "failure" && o.cause)).toEqual(["max-time", "max-time"]);
  });

  test("a body longer than a shopfront answer is cut, and the connection still serves the next request", async () => {
    const big = new URL(await startFixedServer("x".repeat(100_000)));
    const client = new HttpClient(big, { maxSockets: 1, timeoutMs: 2000 });
    const first = await client.get();
    const second = await client.get();
    client.close();
    expect(first.kind === "response" && first.body.length).toBe(4096);
    expect(second).toMatchObject({ kind: "response", status: 200 });
  });
});
