import { App } from "cdktf";
import { ConfigError, loadConfig } from "./modules/config";
import { buildStacks } from "./stacks/app";

function configOrExit() {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

// Config first: a bad setting exits before the App creates its output folder, so nothing is written.
const config = configOrExit();
const app = new App();
buildStacks(app, config);
app.synth();
