import { readSettings } from "./modules/settings/file";
import { ConfigError } from "./modules/settings/load";
import { ShopfrontManifestError } from "./modules/shopfront/shopfront";
import { synthesize, ValidationError } from "./stacks/app";

try {
  synthesize(readSettings());
} catch (error) {
  const refusals = [ConfigError, ShopfrontManifestError, ValidationError];
  if (!refusals.some((refusal) => error instanceof refusal)) throw error;
  // Raised before any stack is written.
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
