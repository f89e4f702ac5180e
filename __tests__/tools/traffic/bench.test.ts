import { benchLines, benchTraffic } from "../../../tools/traffic/bench";

// The targets are checked by `npm run bench`; timing in a shared CI runner is too noisy to assert.
test("benchTraffic runs both clients as processes on the same server and reports their medians", async () => {
  const bench = await benchTraffic({ requests: 400, concurrency: 4, rounds: 1, rate: 100, loadSeconds: 1 });
  for (const figures of [bench.count.tool, bench.count.autocannon, bench.load.tool, bench.load.autocannon]) {
    expect(figures.rps).toBeGreaterThan(0);
    // Linux counts each child's CPU time; every process costs some.
    expect(figures.cpuPer1000).toBeGreaterThan(0);
  }
  const lines = benchLines(bench).join("\n");
  expect(lines).toMatch(/count, 400 requests: rate +\d+ req\/s +\d+ req\/s/);
  expect(lines).toMatch(/count CPU per request at most 1\.3x autocannon's: \d+\.\d\d (met|MISSED)/);
});
