import { benchTraffic } from "../../../tools/traffic/bench";

// The 50% target is checked by `npm run bench`; timing in a shared CI runner is too noisy to assert.
test("benchTraffic measures both clients on the same server and returns their rates", async () => {
  const bench = await benchTraffic({ requests: 400, concurrency: 4, rounds: 1 });
  expect(bench).toMatchObject({ requests: 400, concurrency: 4 });
  expect(bench.toolRps).toBeGreaterThan(0);
  expect(bench.autocannonRps).toBeGreaterThan(0);
  expect(bench.ratio).toBeCloseTo(bench.toolRps / bench.autocannonRps, 10);
});
