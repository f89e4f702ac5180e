/** Rules on workloads: Deployment selectors, sidecar injection, and Services that select pods and ports. */
import { MESH_LABELS } from "../../mesh/mesh-variant";
import { type Finding, finding } from "../finding";
import {
  backendsOf,
  formatLabels,
  type Inventory,
  optsOutOfSidecar,
  podLabels,
  selects,
  unique,
} from "../inventory";

/** The API server refuses a Deployment whose selector does not select its own pod template. */
export function checkDeploymentSelectors(inventory: Inventory): Finding[] {
  // matchExpressions are not checked: the manifests select with matchLabels only.
  return inventory.deployments.flatMap((deployment) => {
    const selector = deployment.object.spec?.selector.matchLabels ?? {};
    if (selects(selector, podLabels(deployment))) return [];
    return [
      finding(
        deployment.document,
        ["spec", "selector", "matchLabels"],
        `selects ${formatLabels(selector)}, but the pod template is labelled ${formatLabels(podLabels(deployment))}`,
      ),
    ];
  });
}

/**
 * Pods get the Envoy sidecar only in a namespace labelled for injection; without it they run outside
 * the mesh and the VirtualService's weights do nothing. Also warns about injected pods that lack the
 * `app` and `version` labels, which Istio's telemetry and Kiali name workloads by.
 */
export function checkSidecarInjection(inventory: Inventory): Finding[] {
  const meshDeployments = inventory.deployments.filter((deployment) => !optsOutOfSidecar(deployment));
  const findings: Finding[] = [];
  for (const namespace of new Set(meshDeployments.map((deployment) => deployment.namespace))) {
    const inNamespace = meshDeployments.filter((deployment) => deployment.namespace === namespace);
    const names = inNamespace.map((deployment) => `Deployment/${deployment.name}`).join(", ");
    const definition = inventory.namespaces.find((candidate) => candidate.name === namespace);
    if (definition === undefined) {
      if (inventory.leftOut(inventory.namespaces)) continue;
      findings.push(
        ...inNamespace.map((deployment) =>
          finding(
            deployment.document,
            ["metadata", "namespace"],
            `namespace ${namespace} is not defined in the manifests, so nothing labels it for sidecar injection`,
          ),
        ),
      );
      continue;
    }
    const labels = definition.object.metadata?.labels ?? {};
    const injected =
      labels["istio-injection"] === "enabled" ||
      (labels["istio.io/rev"] !== undefined && labels["istio-injection"] !== "disabled");
    const ambient = labels[MESH_LABELS.dataplaneMode] === "ambient";
    if (injected && ambient) {
      findings.push(
        finding(
          definition.document,
          ["metadata", "labels", "istio-injection"],
          `is beside istio.io/dataplane-mode: ambient: the pods of ${names} would get a sidecar, which takes precedence over ztunnel; keep one of the two labels`,
        ),
      );
    } else if (!injected && !ambient) {
      findings.push(
        finding(
          definition.document,
          ["metadata", "labels", "istio-injection"],
          `is ${JSON.stringify(labels["istio-injection"] ?? null)}: the pods of ${names} would run outside the mesh; label the namespace istio-injection: enabled (sidecar mode) or istio.io/dataplane-mode: ambient (ambient mode)`,
        ),
      );
    }
  }
  for (const deployment of meshDeployments) {
    const missing = ["app", "version"].filter((label) => podLabels(deployment)[label] === undefined);
    if (missing.length > 0) {
      findings.push(
        finding(
          deployment.document,
          ["spec", "template", "metadata", "labels"],
          `has no ${missing.join(" or ")} label, which Istio telemetry and Kiali use to name the workload`,
          "warning",
        ),
      );
    }
  }
  return findings;
}

/** Each Service's selector must match some Deployment's pods, and each port's targetPort one of their ports. */
export function checkServices(inventory: Inventory): Finding[] {
  return inventory.services.flatMap((service) => {
    const selector = service.object.spec?.selector;
    // A Service without a selector has its endpoints managed by hand: nothing to match.
    if (selector === undefined || inventory.leftOut(inventory.deployments)) return [];
    const backends = backendsOf(inventory, service);
    if (backends.length === 0) {
      return [
        finding(
          service.document,
          ["spec", "selector"],
          `selects ${formatLabels(selector)}, but no Deployment's pods in namespace ${service.namespace} carry these labels`,
        ),
      ];
    }
    const containerPorts = backends.flatMap((deployment) =>
      (deployment.object.spec?.template.spec?.containers ?? []).flatMap((container) => container.ports ?? []),
    );
    return (service.object.spec?.ports ?? []).flatMap((port, index) => {
      const target = port.targetPort ?? port.port;
      const matched =
        typeof target === "string"
          ? containerPorts.some((containerPort) => containerPort.name === target)
          : containerPorts.some((containerPort) => containerPort.containerPort === target);
      if (matched) return [];
      const offered =
        typeof target === "string"
          ? `their named ports are ${unique(containerPorts.map((p) => p.name ?? "(unnamed)")).join(", ")}`
          : `their container ports are ${unique(containerPorts.map((p) => String(p.containerPort))).join(", ")}`;
      return [
        finding(
          service.document,
          ["spec", "ports", index, "targetPort"],
          `${JSON.stringify(target)} is not a port of the pods that the Service selects: ${offered}`,
        ),
      ];
    });
  });
}
