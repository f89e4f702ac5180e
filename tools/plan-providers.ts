/**
 * The mirrored providers of an offline check (tools/terraform.ts), each started once and attached to
 * every terraform run through TF_REATTACH_PROVIDERS, Terraform's interface for debugging providers
 * (a provider started with `-debug` serves until it is stopped). Started by each run instead, the AWS
 * provider cost about 2.5 s of CPU a run: starting its 700 MB binary, building and sending its
 * schema of 1,500 resources, and Terraform hashing the binary against the lock file. One process
 * holds one provider configuration at a time, so the runs that use it go one after another.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";

export interface ProviderServers {
  /** The value of TF_REATTACH_PROVIDERS for every terraform run; empty when none could start. */
  readonly reattach: string;
  /** Stops them. */
  close(): Promise<void>;
}

/** Terraform's names for this machine's OS and architecture, as in a mirror's `linux_amd64`. */
function platformDir(): string {
  const arch =
    { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" }[process.arch as string] ?? process.arch;
  return `${process.platform}_${arch}`;
}

/** The provider's binary in the mirror (`terraform-provider-aws_v5.100.0_x5`), or undefined. */
function binaryOf(mirror: string, source: string, version: string): string | undefined {
  const dir = path.join(mirror, "registry.terraform.io", source, version, platformDir());
  const type = source.split("/")[1];
  try {
    const name = readdirSync(dir).find((file) => file.startsWith(`terraform-provider-${type}_`));
    return name && path.join(dir, name);
  } catch {
    return undefined;
  }
}

/** One provider with `-debug`, and what it prints for TF_REATTACH_PROVIDERS (undefined when it does not). */
function serve(binary: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; reattach?: string }> {
  // Through sh, which stops the provider once its standard input closes: when close() ends it, or
  // when this process ends, however it ends; a provider left behind would serve on with nothing to
  // serve. sh also ends when the provider does (one that cannot serve this way exits at once).
  const script = [
    "exec 3<&0",
    '"$0" -debug </dev/null 3<&- & provider=$!',
    '{ read -r _ <&3; kill "$provider" 2>/dev/null; } &',
    'wait "$provider"',
  ].join("\n");
  const child = spawn("/bin/sh", ["-c", script, binary], { env, stdio: ["pipe", "pipe", "ignore"] });
  return new Promise((resolve) => {
    let output = "";
    const done = (reattach?: string) => {
      clearTimeout(timer);
      child.stdout?.removeAllListeners("data");
      child.stdout?.resume();
      resolve({ child, reattach });
    };
    const timer = setTimeout(() => done(), 60_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk;
      const found = /TF_REATTACH_PROVIDERS='([^']+)'/.exec(output);
      if (found) done(found[1]);
    });
    child.on("exit", () => done());
  });
}

/**
 * Starts each of `providers` (source to exact version) found in the mirror, with `env` (the STS
 * stand-in's endpoint, say). A provider that cannot be served this way is left out: Terraform then
 * starts it for each run, as it would anyway.
 */
export async function serveProviders(
  mirror: string,
  providers: ReadonlyMap<string, string>,
  env: NodeJS.ProcessEnv,
): Promise<ProviderServers> {
  // The AWS provider adds a CA bundle to its HTTP client each time it is configured, and fails the
  // second time; the only endpoint it calls offline is the local STS stand-in, over plain HTTP.
  const { AWS_CA_BUNDLE: _, ...providerEnv } = env;
  const started = await Promise.all(
    [...providers].flatMap(([source, version]) => {
      const binary = binaryOf(mirror, source, version);
      return binary ? [serve(binary, providerEnv)] : [];
    }),
  );
  const attached = Object.assign(
    {},
    ...started.map(({ reattach }) => (reattach ? JSON.parse(reattach) : {})),
  );
  return {
    reattach: Object.keys(attached).length > 0 ? JSON.stringify(attached) : "",
    close: async () => {
      await Promise.all(
        started.map(
          ({ child }) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", () => resolve());
              child.stdin?.end();
            }),
        ),
      );
    },
  };
}
