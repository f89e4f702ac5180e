import { type Finding, finding } from "../finding";
import {
  authorizationPolicySelects,
  backendsOf,
  type Inventory,
  type IService,
  type Labels,
  optsOutOfSidecar,
  type Resource,
  ROUTE_KINDS,
  serviceForHost,
  unique,
} from "../inventory";
import { appliesToIngress } from "./authentication";

/**
 * Mutual TLS. Every PeerAuthentication is STRICT, port exceptions included, and every namespace with
 * mesh workloads has its own namespace-wide one, so that it stays STRICT whatever the mesh-wide
 * default becomes. No mesh pod turns off Istio's probe rewrite, without which the kubelet's plaintext
 * HTTP probes would be refused.
 */
export function checkMutualTls(inventory: Inventory): Finding[] {
  const findings: Finding[] = [];
  for (const policy of inventory.peerAuthentications) {
    const spec = policy.object.spec ?? {};
    const modes: [(string | number)[], string | undefined][] = [
      [["spec", "mtls", "mode"], spec.mtls?.mode],
      ...Object.entries(spec.portLevelMtls ?? {}).map(
        ([port, setting]): [(string | number)[], string | undefined] => [
          ["spec", "portLevelMtls", port, "mode"],
          setting.mode,
        ],
      ),
    ];
    for (const [field, mode] of modes) {
      if (mode === "STRICT") continue;
      findings.push(
        finding(
          policy.document,
          field,
          `is ${JSON.stringify(mode ?? null)}, it must be STRICT: PERMISSIVE and DISABLE accept plaintext from callers with no identity, UNSET leaves the mode to a policy outside the manifests`,
        ),
      );
    }
  }
  const meshDeployments = inventory.deployments.filter((deployment) => !optsOutOfSidecar(deployment));
  for (const namespace of unique(meshDeployments.map((deployment) => deployment.namespace))) {
    const namespaceWide = inventory.peerAuthentications.some(
      (policy) => policy.namespace === namespace && policy.object.spec?.selector === undefined,
    );
    const definition = inventory.namespaces.find((candidate) => candidate.name === namespace);
    // A namespace the manifests do not define is reported by the sidecar injection rule.
    if (namespaceWide || definition === undefined || inventory.leftOut(inventory.peerAuthentications))
      continue;
    findings.push(
      finding(
        definition.document,
        ["metadata", "name"],
        `no namespace-wide PeerAuthentication (one without a selector) in namespace ${namespace}: add one with mtls.mode STRICT, so that its sidecars refuse plaintext whatever the mesh-wide default is`,
      ),
    );
  }
  for (const deployment of meshDeployments) {
    const template = deployment.object.spec?.template;
    const annotation = "sidecar.istio.io/rewriteAppHTTPProbers";
    if (template?.metadata?.annotations?.[annotation] !== "false") continue;
    const probed = (template.spec?.containers ?? []).some((container) =>
      [container.livenessProbe, container.readinessProbe, container.startupProbe].some(
        (probe) => probe?.httpGet !== undefined,
      ),
    );
    if (!probed) continue;
    findings.push(
      finding(
        deployment.document,
        ["spec", "template", "metadata", "annotations", annotation],
        `is "false": with mutual TLS STRICT the sidecar refuses the kubelet's plaintext HTTP probes, so the pods never become ready; remove it, and Istio sends the probes through its agent`,
      ),
    );
  }
  return findings;
}

/**
 * Authorization. Every AuthorizationPolicy ALLOWs the ingress gateway's identity and nothing else:
 * each rule names its callers, by that principal only (a rule's other sources are ANDed with its
 * principals, so they can only narrow it). And the pods behind every Service that a Gateway's routes
 * reach are selected by such a policy, so that no other workload of the mesh may call them. Policies
 * of the ingress itself (pods with `ingressLabels`, or a Gateway's) govern who enters, not who calls
 * the shopfront: ./authentication.ts checks them.
 */
export function checkAuthorizationPolicies(
  inventory: Inventory,
  principal: string,
  ingressLabels: Labels,
): Finding[] {
  const admitOnly = `admit only the ingress gateway, from.source.principals [${principal}]`;
  const findings: Finding[] = [];
  for (const policy of inventory.authorizationPolicies) {
    if (appliesToIngress(inventory, policy, ingressLabels)) continue;
    const { document } = policy;
    const spec = policy.object.spec ?? {};
    // Istio's default action is ALLOW.
    const action = spec.action ?? "ALLOW";
    if (action !== "ALLOW") {
      findings.push(
        finding(
          document,
          ["spec", "action"],
          `is ${action}, it must be ALLOW: a policy that allows the ingress gateway alone denies every other caller; ${admitOnly}`,
        ),
      );
      continue;
    }
    const rules = spec.rules ?? [];
    if (rules.length === 0) {
      findings.push(
        finding(
          document,
          ["spec", "rules"],
          `is empty: an ALLOW policy without rules denies every request, the ingress gateway's too; ${admitOnly}`,
        ),
      );
    }
    rules.forEach((rule, ruleIndex) => {
      const from = rule.from ?? [];
      if (from.length === 0) {
        findings.push(
          finding(
            document,
            ["spec", "rules", ruleIndex, "from"],
            `is missing: the rule admits any caller; ${admitOnly}`,
          ),
        );
      }
      from.forEach((entry, fromIndex) => {
        const field = ["spec", "rules", ruleIndex, "from", fromIndex, "source", "principals"];
        const principals = entry.source?.principals ?? [];
        const others = principals.filter((candidate) => candidate !== principal);
        if (principals.length === 0) {
          findings.push(
            finding(
              document,
              field,
              `is missing: the rule admits callers whatever their identity; ${admitOnly}`,
            ),
          );
        } else if (others.length > 0) {
          findings.push(finding(document, field, `admits ${others.join(", ")}: ${admitOnly}`));
        }
      });
    });
  }
  for (const { service, virtualServices } of gatewayRoutedServices(inventory)) {
    const open = backendsOf(inventory, service).filter(
      (deployment) => !optsOutOfSidecar(deployment) && !authorizationPolicySelects(inventory, deployment),
    );
    if (open.length === 0 || inventory.leftOut(inventory.authorizationPolicies)) continue;
    findings.push(
      finding(
        service.document,
        ["spec", "selector"],
        `the ingress gateway routes here (${virtualServices.map((name) => `VirtualService/${name}`).join(", ")}), but no AuthorizationPolicy in namespace ${service.namespace} selects the pods of ${open.map((deployment) => `Deployment/${deployment.name}`).join(", ")}, so any workload in the mesh may call them; add one to ${admitOnly}`,
      ),
    );
  }
  return findings;
}

/** The Services that the routes of VirtualServices bound to a Gateway reach, with those VirtualServices. */
function gatewayRoutedServices(
  inventory: Inventory,
): { service: Resource<IService>; virtualServices: string[] }[] {
  const routed = new Map<Resource<IService>, Set<string>>();
  for (const virtualService of inventory.virtualServices) {
    const spec = virtualService.object.spec ?? {};
    // "mesh" is the sidecars, not a Gateway.
    if (!(spec.gateways ?? []).some((gateway) => gateway !== "mesh")) continue;
    for (const routeKind of ROUTE_KINDS) {
      for (const rule of spec[routeKind] ?? []) {
        for (const entry of rule.route ?? []) {
          const host = entry.destination?.host;
          const service =
            host === undefined ? undefined : serviceForHost(inventory, host, virtualService.namespace);
          if (service === undefined) continue;
          routed.set(service, (routed.get(service) ?? new Set()).add(virtualService.name));
        }
      }
    }
  }
  return [...routed].map(([service, names]) => ({ service, virtualServices: [...names] }));
}
