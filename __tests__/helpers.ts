import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type App, TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import "./matchers";
import { type Env, loadConfig } from "../modules/settings/load";
import { buildStacks } from "../stacks/app";

const built = new Map<string, ReturnType<typeof buildStacks>>();

/** Output folders of the apps a test file makes with testApp(), removed after the file's tests. */
let scratch: string | undefined;
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Testing.app(), its output folder (which Testing.app() alone leaves in the temp folder) cleaned up. */
export function testApp(): App {
  scratch ??= mkdtempSync(path.join(tmpdir(), "shopfront-test-apps-"));
  return Testing.app({ outdir: mkdtempSync(path.join(scratch, "app-")) });
}

/** Testing.synthScope on a testApp(): a stack holding what `build` adds, synthesized. */
export function synthScope(build: (scope: TerraformStack) => void): string {
  const stack = new TerraformStack(testApp(), "stack");
  build(stack);
  return Testing.synth(stack);
}
const synthesized = new WeakMap<TerraformStack, string>();

/**
 * All stacks, built from `env` as main.ts builds them, with cross-stack references resolved into
 * outputs and remote state reads as `app.synth()` does (Testing.synth alone leaves them as plain
 * references to the other stack's resources).
 */
export function buildTestStacks(env: Env = {}) {
  // Built once per settings in a test file: the tests only read the stacks.
  const key = JSON.stringify(Object.entries(env).sort());
  let stacks = built.get(key);
  if (!stacks) {
    const config = loadConfig(env);
    const app = testApp();
    stacks = buildStacks(app, config);
    for (const stack of app.node.findAll().filter(TerraformStack.isStack)) stack.prepareStack();
    built.set(key, stacks);
  }
  return stacks;
}

/** The stack's Terraform JSON as a string, for cdktf's matchers; machine paths replaced by <project>. */
export function synth(stack: TerraformStack): string {
  let json = synthesized.get(stack);
  if (json === undefined) {
    json = Testing.synth(stack).split(process.cwd()).join("<project>");
    synthesized.set(stack, json);
  }
  return json;
}

/** The stack's Terraform JSON, parsed. */
export function synthJson(stack: TerraformStack) {
  return JSON.parse(synth(stack));
}

/** Resources of one type in a synthesized stack, by Terraform name. */
export function resources(stack: TerraformStack, type: string): Record<string, Record<string, unknown>> {
  return synthJson(stack).resource?.[type] ?? {};
}

/** The helm_release whose Helm release name is `name`: its Terraform address, config and parsed values. */
export function helmRelease(stack: TerraformStack, name: string) {
  const found = Object.entries(resources(stack, "helm_release")).find(([, r]) => r.name === name);
  if (!found) throw new Error(`no helm_release named ${name}`);
  const [id, config] = found;
  return {
    address: `helm_release.${id}`,
    config,
    // biome-ignore lint/suspicious/noExplicitAny: Helm values are free-form; tests walk them freely.
    values: parse((config.values as string[])[0]) as Record<string, any>,
  };
}

/** The shopfront's namespace (manifests/sidecar/namespace.yaml and ambient/namespace.yaml). */
const SHOPFRONT_NAMESPACE = "miztiik-automation-ns";

/** A synthesized kubernetes_manifest: its Terraform address and its resource block. */
export interface KubernetesManifest {
  readonly address: string;
  // biome-ignore lint/suspicious/noExplicitAny: a Kubernetes object; tests walk it freely.
  readonly manifest: Record<string, any>;
  readonly depends_on?: readonly string[];
  readonly wait?: Record<string, unknown>;
  readonly field_manager?: Record<string, unknown>;
}

/**
 * The kubernetes_manifest resources of synthesized Terraform JSON, in their order, by `Kind/name`
 * (`Kind/namespace/name` outside the shopfront's namespace).
 */
export function kubernetesManifests(json: {
  resource?: { kubernetes_manifest?: Record<string, Omit<KubernetesManifest, "address">> };
}): Map<string, KubernetesManifest> {
  const byName = new Map<string, KubernetesManifest>();
  for (const [id, resource] of Object.entries(json.resource?.kubernetes_manifest ?? {})) {
    const { kind, metadata } = resource.manifest;
    const key =
      metadata.namespace === undefined || metadata.namespace === SHOPFRONT_NAMESPACE
        ? `${kind}/${metadata.name}`
        : `${kind}/${metadata.namespace}/${metadata.name}`;
    if (byName.has(key)) throw new Error(`two kubernetes_manifest resources for ${key}`);
    byName.set(key, { address: `kubernetes_manifest.${id}`, ...resource });
  }
  return byName;
}

/** The kubernetes_manifest named `key` (`Kind/name`, as in kubernetesManifests); fails when there is none. */
export function manifestNamed(
  manifests: ReadonlyMap<string, KubernetesManifest>,
  key: string,
): KubernetesManifest {
  const found = manifests.get(key);
  if (found === undefined) throw new Error(`no kubernetes_manifest for ${key}`);
  return found;
}

type Blocks = Record<string, Record<string, { depends_on?: string[] }>>;

/** Every address that `address` depends on, directly or through others, by the `depends_on` lists. */
export function dependenciesOf(json: { resource?: Blocks; data?: Blocks }, address: string): Set<string> {
  const edges = new Map<string, string[]>();
  for (const [prefix, blocks] of [
    ["", json.resource ?? {}],
    ["data.", json.data ?? {}],
  ] as const) {
    for (const [type, byName] of Object.entries(blocks)) {
      for (const [name, block] of Object.entries(byName))
        edges.set(`${prefix}${type}.${name}`, block.depends_on ?? []);
    }
  }
  const found = new Set<string>();
  const visit = (from: string) => {
    for (const next of edges.get(from) ?? []) {
      if (!found.has(next)) {
        found.add(next);
        visit(next);
      }
    }
  };
  visit(address);
  return found;
}
