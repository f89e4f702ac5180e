import { ConfigError } from "./modules/config";
import { readSettings } from "./modules/settings-file";
import { synthesize } from "./stacks/app";

try {
  synthesize(readSettings());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // Raised before any stack is built: nothing is written.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
