import { parseAnswer, Tally } from "../../../tools/traffic/tally";

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
    // Upper case is not normalized: a pod hostname is lower case, and so is the version label.
    "POD:V1",
    "pod:V1",
    "Shopfront-v1-0:v1",
  ])("%j is not an answer", (body) => {
    expect(parseAnswer(body)).toBeUndefined();
  });
});

describe("tally", () => {
  test("a 2xx with a shopfront answer counts by version and pod; anything else is an error by its cause", () => {
    const tally = new Tally();
    const response = (status: number, body: string, oversized = false) =>
      tally.record({ kind: "response", status, body, oversized, latencyMs: 1 });
    response(200, "shopfront-v2-0:v2\n");
    response(200, "shopfront-v2-0:v2", true);
    response(200, "hello world");
    response(404, "<h1>Not Found</h1>");
    tally.record({ kind: "failure", cause: "ECONNRESET", latencyMs: 1 });
    expect(tally).toMatchObject({ total: 5, errors: 4, badBodies: 2, badBodyExample: "shopfront-v2-0:v2" });
    expect(tally.answers).toBe(1);
    expect(tally.responses).toBe(4);
    expect(Object.fromEntries(tally.versions)).toEqual({ v2: 1 });
    expect(Object.fromEntries(tally.errorCauses())).toEqual({
      "status 404": 1,
      "bad body": 2,
      ECONNRESET: 1,
    });
  });
});
