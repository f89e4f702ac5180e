import { ProtocolError, ResponseParser } from "../../tools/traffic/response-parser";
import { parseAnswer } from "../../tools/traffic/tally";

/** Feeds `parts` one after the other; returns the response the last one completed, if any. */
function parse(parts: readonly string[], maxBodyBytes = 4096) {
  const parser = new ResponseParser(maxBodyBytes);
  const results = parts.map((part) => parser.feed(Buffer.from(part, "latin1")));
  expect(results.slice(0, -1).every((result) => result === undefined)).toBe(true);
  const response = results[results.length - 1];
  return (
    response && { status: response.status, body: response.body.toString("latin1"), close: response.close }
  );
}

describe("HTTP/1.x response parser", () => {
  test("a Content-Length body, in one piece or byte by byte", () => {
    const raw = "HTTP/1.1 200 OK\r\nContent-Length: 33\r\n\r\nshopfront-v2-75475c5748-9d254:v2\n";
    const whole = { status: 200, body: "shopfront-v2-75475c5748-9d254:v2\n", close: false };
    expect(parse([raw])).toEqual(whole);
    expect(parse([...raw])).toEqual(whole);
  });

  test("a chunked body with extensions and trailers", () => {
    const raw =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\npod-a\r\n3\r\n:v1\r\n0\r\nX-Trailer: 1\r\n\r\n";
    expect(parse([raw.slice(0, 50), raw.slice(50)])).toEqual({ status: 200, body: "pod-a:v1", close: false });
  });

  test("a body without length runs until the connection closes", () => {
    const parser = new ResponseParser(4096);
    expect(parser.feed(Buffer.from("HTTP/1.0 200 OK\r\n\r\npod-a:"))).toBeUndefined();
    expect(parser.feed(Buffer.from("v1"))).toBeUndefined();
    const response = parser.end();
    expect(response?.body.toString()).toBe("pod-a:v1");
    expect(response?.close).toBe(true);
  });

  test("a connection closed before the response is complete yields no response", () => {
    const parser = new ResponseParser(4096);
    parser.feed(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
    expect(parser.end()).toBeUndefined();
  });

  test("Connection: close and HTTP/1.0 without keep-alive end the connection", () => {
    expect(parse(["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"])?.close).toBe(true);
    expect(parse(["HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"])?.close).toBe(true);
    expect(parse(["HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"])?.close).toBe(
      false,
    );
  });

  test("204 has no body; a 100 Continue before the response is skipped", () => {
    expect(parse(["HTTP/1.1 204 No Content\r\n\r\n"])).toEqual({ status: 204, body: "", close: false });
    expect(
      parse(["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"]),
    ).toEqual({
      status: 404,
      body: "no",
      close: false,
    });
  });

  test("a body over the cap is read to its end but kept only up to the cap", () => {
    const body = "x".repeat(10_000);
    expect(parse([`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`], 100)?.body).toBe(
      "x".repeat(100),
    );
  });

  test("bytes past the response mark the connection as not reusable", () => {
    expect(parse(["HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1"])?.close).toBe(true);
  });

  test.each([
    ["not HTTP", "hello world\r\n\r\n"],
    ["a bad header line", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n"],
    ["a bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n"],
    ["a bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
  ])("%s is a ProtocolError", (_name, raw) => {
    expect(() => new ResponseParser(4096).feed(Buffer.from(raw))).toThrow(ProtocolError);
  });
});

describe("shopfront answers", () => {
  test("`<pod hostname>:<version>`, with or without a trailing newline", () => {
    expect(parseAnswer("shopfront-v2-75475c5748-9d254:v2\n")).toEqual({
      pod: "shopfront-v2-75475c5748-9d254",
      version: "v2",
    });
    expect(parseAnswer("shopfront-v4-7b5f4fd975-kn55t:v4")).toEqual({
      pod: "shopfront-v4-7b5f4fd975-kn55t",
      version: "v4",
    });
  });

  test.each([
    "hello world",
    "",
    "pod:",
    ":v1",
    "pod:v1:v2",
    "pod:version1",
    "<h1>It works!</h1>",
    "pod:v1\n\n",
  ])("%j is not an answer", (body) => {
    expect(parseAnswer(body)).toBeUndefined();
  });
});
