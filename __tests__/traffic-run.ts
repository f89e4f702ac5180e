import os from "node:os";
import { run } from "../tools/traffic/cli";

/** What one run of the traffic tool printed, its exit code and how long it took. */
export interface TrafficRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the tool in-process, as `npm run traffic -- ...argv` would, with no environment of its own. */
export async function traffic(
  argv: string[],
  options: { env?: Record<string, string>; cwd?: string; tty?: boolean } = {},
): Promise<TrafficRun> {
  let stdout = "";
  let stderr = "";
  const started = performance.now();
  const code = await run(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    stderrIsTTY: options.tty ?? false,
    env: options.env ?? {},
    cwd: options.cwd ?? os.tmpdir(),
  });
  return { code, stdout, stderr, ms: performance.now() - started };
}
