/**
 * The npm scripts: HashiCorp's checkpoint call off, the documented commands, and synth:hcl and plan
 * run as a user runs them (the cdktf CLI, the compiled app).
 * @slow
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { copyProject } from "../project-copy";

const root = path.resolve(__dirname, "..", "..");
const scripts: Record<string, string> = JSON.parse(
  readFileSync(path.join(root, "package.json"), "utf8"),
).scripts;

/** The project's own files that `file` imports, and theirs, with `file`. */
function importClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(file, "utf8");
  for (const [, specifier] of source.matchAll(/from "(\.[^"]+)"/g)) {
    const target = path.resolve(path.dirname(file), specifier);
    const candidates = [`${target}.ts`, path.join(target, "index.ts"), target];
    const found = candidates.find((candidate) => existsSync(candidate) && candidate.endsWith(".ts"));
    if (found) importClosure(found, seen);
  }
  return seen;
}

/** True when a script runs cdktf or terraform, itself or through a tool that starts them. */
function runsHashicorpTools(command: string): boolean {
  if (/\b(cdktf|terraform)\b/.test(command)) return true;
  const tool = /\b(?:tsx|node tools\/app\.js) (tools\/\S+\.ts)/.exec(command)?.[1];
  if (!tool) return false;
  return [...importClosure(path.join(root, tool))].some((file) =>
    /(spawn|execFile|run|probe)\w*\(\s*["'`]?(terraform|toolchain\.terraform|"npx cdktf)|"terraform"|npx cdktf/.test(
      readFileSync(file, "utf8"),
    ),
  );
}

describe("npm scripts", () => {
  it("run every cdktf and terraform command with HashiCorp's checkpoint call off", () => {
    const hashicorp = Object.entries(scripts).filter(([, command]) => runsHashicorpTools(command));
    // The scripts this rule must cover, so that a broken detector cannot pass it vacuously.
    expect(hashicorp.map(([name]) => name).sort()).toEqual(
      expect.arrayContaining([
        "bench",
        "deploy",
        "destroy",
        "destroy:all",
        "output",
        "plan",
        "preflight",
        "synth",
        "synth:hcl",
      ]),
    );
    // Each command of a script (`a && b`) that runs them sets the variable for itself.
    const without = hashicorp.flatMap(([name, command]) =>
      command
        .split(/&&|\|\||;/)
        .map((part) => part.trim())
        .filter((part) => runsHashicorpTools(part) && !part.startsWith("CHECKPOINT_DISABLE=1 "))
        .map((part) => `${name}: ${part}`),
    );
    expect(without).toEqual([]);
  });

  it("have a synth, deploy, destroy and output script for the documented commands, each first checking that the cdktf CLI can start", () => {
    const check = "node tools/node-pty.js --check && ";
    expect(scripts.synth).toBe(`${check}CHECKPOINT_DISABLE=1 cdktf synth`);
    expect(scripts["synth:hcl"]).toBe(
      `${check}CHECKPOINT_DISABLE=1 cdktf synth --hcl --output cdktf.out.hcl`,
    );
    expect(scripts.deploy).toBe(`${check}CHECKPOINT_DISABLE=1 cdktf deploy`);
    expect(scripts.destroy).toBe(`${check}CHECKPOINT_DISABLE=1 TEARDOWN=true cdktf destroy`);
    expect(scripts.output).toBe(`${check}CHECKPOINT_DISABLE=1 cdktf output`);
  });
});

describe("npm run synth:hcl", () => {
  let project: string;
  beforeAll(() => {
    // A copy of the project, so the test writes nothing into the working tree.
    project = copyProject();
  });

  it("writes HCL to its own folder, so a synth after it leaves only the JSON that deploy reads", () => {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: tmpdir(),
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE,
    };
    execFileSync("npm", ["run", "-s", "synth:hcl"], {
      cwd: project,
      env,
      encoding: "utf8",
      timeout: 180_000,
    });
    const stacks = readdirSync(path.join(project, "cdktf.out.hcl", "stacks")).sort();
    expect(stacks).toHaveLength(7);
    for (const stack of stacks) {
      expect(readdirSync(path.join(project, "cdktf.out.hcl", "stacks", stack))).toContain("cdk.tf");
    }
    // cdktf.out, which `npm run synth` writes and deploy reads, is not touched: no cdk.tf can mix in.
    expect(existsSync(path.join(project, "cdktf.out"))).toBe(false);
  });
});

describe("npm run plan", () => {
  let project: string;
  beforeAll(() => {
    project = copyProject();
  });

  it("synthesizes the plan-only stacks, their manifests checked, and skips the stacks whose providers are not mirrored", () => {
    // A mirror with no provider: every stack that uses one is skipped; the stand-in plans the one that does not.
    const terraform = path.join(project, "terraform-stand-in");
    writeFileSync(terraform, "#!/bin/sh\n[ \"$1\" = plan ] && echo 'No changes.'\nexit 0\n");
    chmodSync(terraform, 0o755);
    const mirror = path.join(project, "empty-mirror");
    mkdirSync(path.join(mirror, "registry.terraform.io"), { recursive: true });
    const result = spawnSync("npm", ["run", "-s", "plan"], {
      cwd: project,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        HOME: project,
        TMPDIR: tmpdir(),
        TERRAFORM_BINARY: terraform,
        TF_PROVIDER_MIRROR: mirror,
        NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE,
      },
      timeout: 180_000,
    });
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(
      /^eks-cluster-stack +skipped: providers not in the mirror: hashicorp\/aws$/m,
    );
    expect(result.stdout).toMatch(/^shopfront-stack +skipped: providers not in the mirror: /m);
    expect(result.stdout).toMatch(
      /^ssm-agent-installer-daemonset-stack +planned: 0 to add, 0 to change, 0 to destroy$/m,
    );
    expect(result.status).toBe(0);
  });
});

describe("documented commands", () => {
  /** Command lines in the fenced shell blocks of a Markdown file. */
  function shellLines(file: string): string[] {
    const text = readFileSync(path.join(root, file), "utf8");
    return [...text.matchAll(/```(?:bash|sh|shell)\n([\s\S]*?)```/g)].flatMap(([, block]) =>
      block.split("\n"),
    );
  }

  it.each(["README.md", "docs/operations.md"])(
    "%s runs cdktf and terraform through npm scripts or with the checkpoint off",
    (file) => {
      const lines = shellLines(file);
      expect(lines.length).toBeGreaterThan(0);
      const direct = lines.filter(
        (line) =>
          /(^|&&|;|\|\||\$\()\s*(npx\s+)?(cdktf|terraform)\s/.test(line) &&
          !line.includes("CHECKPOINT_DISABLE=1"),
      );
      expect(direct).toEqual([]);
    },
  );
});
