import { ConfigError, type Env, loadConfig } from "../modules/config";

/** The problems `loadConfig(env)` reports; fails the test when it reports none. */
export function problemsOf(env: Env): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(env)}`);
}
