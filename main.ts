import { App } from "cdktf";
import { ConfigError, loadConfig } from "./modules/config";
import { buildStacks } from "./stacks/app";

function configOrExit() {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Before any stack is built: nothing is written.
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

const app = new App();
buildStacks(app, configOrExit());
app.synth();
