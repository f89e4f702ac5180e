import { errors } from "undici";
import { causeOf } from "../../../../tools/traffic/engine/outcome";

describe("causes of failure", () => {
  test.each([
    [new errors.ConnectTimeoutError(), "timeout"],
    [new errors.HeadersTimeoutError(), "timeout"],
    [new errors.BodyTimeoutError(), "timeout"],
    [new errors.SocketError("other side closed"), "ECONNRESET"],
    [new errors.SocketError("closed"), "ECONNRESET"],
    [new errors.SocketError("bad response"), "bad response"],
    [new errors.HeadersOverflowError(), "bad response"],
    [new errors.ResponseContentLengthMismatchError(), "bad response"],
    [new errors.ClientDestroyedError(), "closed"],
    [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "ECONNREFUSED"],
    [Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }), "ENOTFOUND"],
    [
      new AggregateError([Object.assign(new Error("connect ECONNREFUSED ::1"), { code: "ECONNREFUSED" })]),
      "ECONNREFUSED",
    ],
    [
      Object.assign(new Error("Parse Error: Expected HTTP/"), { code: "HPE_INVALID_CONSTANT" }),
      "bad response",
    ],
    [new Error("something else"), "something else"],
  ])("%p is %j", (error, cause) => {
    expect(causeOf(error)).toBe(cause);
  });
});
