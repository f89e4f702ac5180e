/**
 * Preflight's settings checks: the settings validated as synth and deploy validate them, and what
 * they open to the internet (the Kubernetes API endpoint, the ingress load balancer).
 */
import { type Config, ConfigError, type Env, loadConfig } from "../modules/settings/load";
import type { CheckLine } from "./preflight-probe";

/** The settings line, and the Config when the settings are valid. */
export function settingsCheck(env: Env): { line: CheckLine; config: Config | undefined } {
  try {
    const config = loadConfig(env);
    return {
      line: {
        status: "ok",
        subject: "settings",
        message: `valid: cluster ${config.cluster.name} in ${config.aws.region}`,
      },
      config,
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      line: {
        status: "problem",
        subject: "settings",
        message: `fix these in settings.env (or the environment):\n${error.problems.map((p) => `      - ${p}`).join("\n")}`,
      },
      config: undefined,
    };
  }
}

/** The check line for the CIDRs one setting opens (from the config, or the raw setting when the settings are invalid). */
function cidrLine(
  subject: string,
  setting: string,
  cidrs: readonly string[],
  whenEmpty: CheckLine,
  opens: string,
): CheckLine {
  if (cidrs.length === 0) return whenEmpty;
  if (cidrs.includes("0.0.0.0/0")) {
    return {
      status: "warning",
      subject,
      message: `OPEN TO THE WHOLE INTERNET: ${setting}=${cidrs.join(",")} opens ${opens} to 0.0.0.0/0; set it to your own IP, e.g. 203.0.113.7/32, in settings.env`,
    };
  }
  return { status: "ok", subject, message: `${opens} open to ${cidrs.join(", ")} (${setting})` };
}

const splitCidrs = (text: string | undefined) =>
  text === undefined || text.trim() === "" ? [] : text.split(",").map((cidr) => cidr.trim());

/** The api endpoint and ingress lines: what ENDPOINT_PUBLIC_CIDRS and INGRESS_SOURCE_CIDRS open. */
export function exposureLines(env: Env, config: Config | undefined): CheckLine[] {
  return [
    cidrLine(
      "api endpoint",
      "ENDPOINT_PUBLIC_CIDRS",
      config?.cluster.endpointPublicAccessCidrs ?? splitCidrs(env.ENDPOINT_PUBLIC_CIDRS),
      {
        status: "warning",
        subject: "api endpoint",
        message:
          "private only (ENDPOINT_PUBLIC_CIDRS unset): cdktf and kubectl reach the cluster only from inside the VPC; to deploy from this machine set ENDPOINT_PUBLIC_CIDRS=<your IP>/32 in settings.env",
      },
      "the Kubernetes API endpoint",
    ),
    cidrLine(
      "ingress",
      "INGRESS_SOURCE_CIDRS",
      config?.istio.ingressSourceCidrs ?? splitCidrs(env.INGRESS_SOURCE_CIDRS),
      {
        status: "ok",
        subject: "ingress",
        message:
          "internal load balancer, reachable from the VPC only (INGRESS_SOURCE_CIDRS unset); to test from this machine set INGRESS_SOURCE_CIDRS=<your IP>/32 in settings.env",
      },
      "the ingress load balancer",
    ),
  ];
}
