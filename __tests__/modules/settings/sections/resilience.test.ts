import { ConfigError, type Env, loadConfig } from "../../../../modules/settings/load";
import { durationMs } from "../../../../modules/settings/sections/resilience";

/** The problems loadConfig finds in `env`; none when it accepts it. */
function problemsOf(env: Env): readonly string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe("the resilience settings, read", () => {
  it("every one at once (ROUTING_API=istio, no fault)", () => {
    expect(
      loadConfig({
        SHOPFRONT_TIMEOUT: "3s",
        SHOPFRONT_RETRIES: "3@500ms",
        SHOPFRONT_MIRROR: "v4@12.5",
        INGRESS_RATE_LIMIT: "600/m",
      }).resilience,
    ).toEqual({
      timeout: "3s",
      retries: { attempts: 3, perTryTimeout: "500ms" },
      mirror: { version: "v4", percent: 12.5 },
      ingressRateLimit: { requests: 600, per: "m" },
    });
  });

  it("the faults", () => {
    expect(
      loadConfig({ SHOPFRONT_FAULT_DELAY: "250ms@0.5", SHOPFRONT_FAULT_ABORT: "429@100" }).resilience,
    ).toEqual({
      faultDelay: { delay: "250ms", percent: 0.5 },
      faultAbort: { status: 429, percent: 100 },
    });
  });

  it("unset, none of them", () => {
    expect(loadConfig({}).resilience).toEqual({});
  });

  it("durations in milliseconds, as the traffic tool reads them", () => {
    expect([durationMs("500ms"), durationMs("3s"), durationMs("2m"), durationMs("3h")]).toEqual([
      500,
      3000,
      120_000,
      Number.NaN,
    ]);
  });
});

describe("the refusals, each naming the setting and the value", () => {
  it.each([
    [
      { SHOPFRONT_RETRIES: "5" },
      'SHOPFRONT_RETRIES="5" is not <attempts> or <attempts>@<per-try timeout>, attempts from 0 to 3, such as 2 or 3@1s',
    ],
    [
      { SHOPFRONT_RETRIES: "2@1.5s" },
      'SHOPFRONT_RETRIES="2@1.5s": the per-try timeout "1.5s" is not a duration in whole ms, s or m, such as 500ms, 3s or 2m (not 0)',
    ],
    [
      { SHOPFRONT_RETRIES: "0@1s" },
      'SHOPFRONT_RETRIES="0@1s": 0 attempts turn retries off, so a per-try timeout means nothing; use 0',
    ],
    [{ SHOPFRONT_FAULT_DELAY: "2s" }, 'SHOPFRONT_FAULT_DELAY="2s" is not <delay>@<percent>, such as 2s@10'],
    [
      { SHOPFRONT_FAULT_DELAY: "2@10" },
      'SHOPFRONT_FAULT_DELAY="2@10": "2" is not a duration in whole ms, s or m, such as 500ms, 3s or 2m (not 0)',
    ],
    [
      { SHOPFRONT_FAULT_ABORT: "503@101" },
      'SHOPFRONT_FAULT_ABORT="503@101": "101" is not a percentage of requests above 0 and at most 100, such as 5 or 0.5',
    ],
    [
      { SHOPFRONT_FAULT_ABORT: "302@5" },
      'SHOPFRONT_FAULT_ABORT="302@5": "302" is not an HTTP error status from 400 to 599',
    ],
    [{ SHOPFRONT_MIRROR: "v7@5" }, 'SHOPFRONT_MIRROR="v7@5": "v7" is not a version (v1, v2, v3, v4)'],
    [
      { INGRESS_RATE_LIMIT: "100/h" },
      'INGRESS_RATE_LIMIT="100/h" is not <requests>/s or <requests>/m, requests from 1 to 999999, such as 100/s',
    ],
  ])("%o", (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });
});

describe("what a routing API cannot express is refused, with the reason and the alternative", () => {
  it("HTTPRoute retries: not in the standard channel installed", () => {
    expect(problemsOf({ ROUTING_API: "gateway-api", SHOPFRONT_RETRIES: "3@1s" })).toEqual([
      "SHOPFRONT_RETRIES=3@1s with ROUTING_API=gateway-api: HTTPRoute `retry` is not in the Gateway API v1.6.1 standard channel that istio-stack installs (it is standard from v1.7.0), so the API server would drop it; with the Gateway API, istiod's default retry policy applies (2 retries of connection failures, istio-stack), or use ROUTING_API=istio",
    ]);
  });

  it.each([
    ["SHOPFRONT_FAULT_DELAY", "2s@10"],
    ["SHOPFRONT_FAULT_ABORT", "503@5"],
  ])("%s with the Gateway API: it has no fault filter", (name, value) => {
    expect(problemsOf({ ROUTING_API: "gateway-api", [name]: value })).toEqual([
      `${name}=${value} with ROUTING_API=gateway-api: the Gateway API v1.6.1 standard channel that istio-stack installs has no fault injection filter (nor has its experimental channel); inject faults with ROUTING_API=istio, whose VirtualService fault is set on the ingress route`,
    ]);
  });

  it("the Gateway API takes the timeout and the mirror", () => {
    expect(
      problemsOf({ ROUTING_API: "gateway-api", SHOPFRONT_TIMEOUT: "3s", SHOPFRONT_MIRROR: "v4@5" }),
    ).toEqual([]);
  });
});

describe("a fault excludes a timeout and retries on its route, as Istio enables neither", () => {
  it.each([
    [{ SHOPFRONT_TIMEOUT: "3s" }, "SHOPFRONT_TIMEOUT=3s"],
    [{ SHOPFRONT_RETRIES: "2@1s" }, "SHOPFRONT_RETRIES=2@1s"],
  ])("%o with SHOPFRONT_FAULT_ABORT", (other, given) => {
    const name = given.split("=")[0];
    expect(problemsOf({ ...other, SHOPFRONT_FAULT_ABORT: "503@5" })).toEqual([
      `SHOPFRONT_FAULT_ABORT=503@5 with ${given}: Istio enables no timeout or retries on a route with faults ("timeouts or retries will not be enabled when faults are enabled", VirtualService reference), so the fault's route carries neither; unset ${name} while the fault is on, and prove the timeout and retries in a run of their own (docs/resilience.md)`,
    ]);
  });

  it("each fault setting says so", () => {
    const problems = problemsOf({
      SHOPFRONT_TIMEOUT: "3s",
      SHOPFRONT_FAULT_DELAY: "1s@5",
      SHOPFRONT_FAULT_ABORT: "503@5",
    });
    expect(problems.map((problem) => problem.split(" with ")[0])).toEqual([
      "SHOPFRONT_FAULT_DELAY=1s@5",
      "SHOPFRONT_FAULT_ABORT=503@5",
    ]);
  });
});
