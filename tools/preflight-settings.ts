/**
 * Preflight's settings checks: the settings validated as synth and deploy validate them, where each
 * came from, and what they open to the internet (the Kubernetes API endpoint, the ingress load
 * balancer).
 */
import { type Config, ConfigError, type Env, loadConfig, sourcesOf } from "../modules/settings/load";
import { SETTINGS } from "../modules/settings/table";
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

/**
 * Where each setting that is set came from: the environment (`environment`, this process's variables)
 * or a line of the settings file (`fromFile`: the file's settings alone, as readSettings read them,
 * with their sources); then a warning for each setting that the environment overrides in the file, a
 * variable exported in a shell profile being easy to forget.
 */
export function sourceLines(environment: Env, fromFile: Env): CheckLine[] {
  const lines = sourcesOf(fromFile);
  const set = Object.keys(SETTINGS).filter((name) => environment[name] !== undefined || name in lines);
  if (set.length === 0) {
    return [
      {
        status: "ok",
        subject: "sources",
        message: "every setting at its default: none in settings.env or the environment",
      },
    ];
  }
  const listed = set.map((name) =>
    environment[name] !== undefined
      ? `      - ${name}=${environment[name]} (environment)`
      : `      - ${name}=${fromFile[name]} (${lines[name]})`,
  );
  const overrides = set
    .filter((name) => environment[name] !== undefined && name in lines)
    .map((name): CheckLine => {
      const [mine, theirs] = [environment[name], fromFile[name]];
      return {
        status: "warning",
        subject: "override",
        message:
          mine === theirs
            ? `${name} from the environment hides ${lines[name]} (the same value, ${mine}, today): an edit of the file would not take effect; unset ${name} to use the file's`
            : `${name}=${mine} from the environment overrides ${name}=${theirs} at ${lines[name]}; unset ${name} (is it exported in your shell profile?) to use the file's`,
      };
    });
  return [
    {
      status: "ok",
      subject: "sources",
      message: `${set.length} setting${set.length === 1 ? "" : "s"} set, the others at their defaults:\n${listed.join("\n")}`,
    },
    ...overrides,
  ];
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
      (config?.cluster.deployFromVpc ?? env.DEPLOY_FROM_VPC === "true")
        ? {
            status: "ok",
            subject: "api endpoint",
            message: "private only: you deploy from inside the VPC (DEPLOY_FROM_VPC=true)",
          }
        : {
            status: "problem",
            subject: "api endpoint",
            message:
              "private only (ENDPOINT_PUBLIC_CIDRS unset): istio-stack and the stacks after it reach the Kubernetes API from where cdktf runs, so from outside the VPC the deploy fails after the cluster is built; set ENDPOINT_PUBLIC_CIDRS=<your IP>/32 in settings.env, or DEPLOY_FROM_VPC=true if you deploy from inside the VPC (VPN, Direct Connect, bastion)",
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
