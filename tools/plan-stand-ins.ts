/**
 * What stands in for AWS and for the upstream stacks in an offline plan (tools/terraform.ts): a local
 * STS that answers GetCallerIdentity, and fixture states holding the outputs a stack reads.
 */
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { SynthesizedStack } from "./plan-stacks";

/** The account and caller that the offline STS stand-in reports: AWS's documentation account. */
const OFFLINE_ACCOUNT_ID = "123456789012";
const OFFLINE_CALLER_ARN = `arn:aws:iam::${OFFLINE_ACCOUNT_ID}:user/offline-plan`;

export interface OfflineSts {
  /** Endpoint URL, for AWS_ENDPOINT_URL_STS. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A local stand-in for STS that answers GetCallerIdentity with OFFLINE_CALLER_ARN and refuses any
 * other action, so that `aws_caller_identity` reads offline. Plan-only: nothing is ever applied.
 */
export async function startOfflineSts(): Promise<OfflineSts> {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      response.setHeader("content-type", "text/xml");
      if (new URLSearchParams(body).get("Action") !== "GetCallerIdentity") {
        response.statusCode = 400;
        response.end(
          "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>" +
            "<Message>offline plan: only GetCallerIdentity is answered</Message></Error>" +
            "<RequestId>offline-plan</RequestId></ErrorResponse>",
        );
        return;
      }
      response.end(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
          `<Arn>${OFFLINE_CALLER_ARN}</Arn><UserId>AIDAOFFLINEPLAN</UserId><Account>${OFFLINE_ACCOUNT_ID}</Account>` +
          "</GetCallerIdentityResult><ResponseMetadata><RequestId>offline-plan</RequestId></ResponseMetadata>" +
          "</GetCallerIdentityResponse>",
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A Terraform state (format 4) with the given outputs and no resource. */
export function stateWithOutputs(outputs: Record<string, string>, sensitive: ReadonlySet<string>) {
  return {
    version: 4,
    terraform_version: "1.11.0",
    serial: 1,
    lineage: "offline-plan-fixture",
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([name, value]) => [
        name,
        { value, type: "string", ...(sensitive.has(name) ? { sensitive: true } : {}) },
      ]),
    ),
    resources: [],
  };
}

/**
 * Points each upstream state that `stack` reads at a fixture state beside it, holding every output the
 * upstream stack declares as the string `offline-plan:<output>`, so the plan shows where each value
 * lands. A Terraform override file redirects the reads; the upstream's own state file is left alone.
 * Returns the upstream stacks seeded.
 */
export function seedUpstreamStates(stack: SynthesizedStack, stacks: readonly SynthesizedStack[]): string[] {
  const redirects: Record<string, { config: { path: string } }> = {};
  for (const [upstream, dataSource] of Object.entries(stack.upstreamStates)) {
    const source = stacks.find((candidate) => candidate.name === upstream);
    if (!source)
      throw new Error(`${stack.name} reads the state of ${upstream}, which is not a stack of the app`);
    const outputs = Object.fromEntries(source.outputs.map(({ name }) => [name, `offline-plan:${name}`]));
    const sensitive = new Set(source.outputs.filter((output) => output.sensitive).map(({ name }) => name));
    const fixture = path.join(stack.dir, `fixture.${upstream}.tfstate`);
    writeFileSync(fixture, JSON.stringify(stateWithOutputs(outputs, sensitive), null, 2));
    redirects[dataSource] = { config: { path: fixture } };
  }
  if (Object.keys(redirects).length > 0) {
    writeFileSync(
      path.join(stack.dir, "offline_plan_override.tf.json"),
      JSON.stringify({ data: { terraform_remote_state: redirects } }, null, 2),
    );
  }
  return Object.keys(redirects);
}
