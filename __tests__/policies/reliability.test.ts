/**
 * Reliability and exposure rules of the mesh, one test per rule, each failing when the rule is removed:
 * the `production` profile's replicas, disruption budgets and zone spread; the addons never exposed.
 */
import { buildTestStacks, helmRelease, resources, synthJson } from "../helpers";

const ZONE = "topology.kubernetes.io/zone";

describe("MESH_PROFILE=production", () => {
  const { istio } = buildTestStacks({ MESH_PROFILE: "production" });
  const istiod = helmRelease(istio, "istiod").values;
  const ingress = helmRelease(istio, "istio-ingressgateway").values;

  it("runs two istiod replicas with the chart's PodDisruptionBudget, spread over the zones", () => {
    expect(istiod.replicaCount).toBe(2);
    expect(istiod.global.defaultPodDisruptionBudget).toEqual({ enabled: true });
    expect(istiod.topologySpreadConstraints).toEqual([
      expect.objectContaining({
        topologyKey: ZONE,
        maxSkew: 1,
        labelSelector: { matchLabels: { app: "istiod" } },
      }),
    ]);
  });

  it("runs two ingress gateway replicas, at most one disrupted at a time, spread over the zones", () => {
    expect(ingress.replicaCount).toBe(2);
    expect(ingress.autoscaling).toEqual({ enabled: false });
    expect(ingress.podDisruptionBudget).toEqual({ minAvailable: 1 });
    expect(ingress.topologySpreadConstraints).toEqual([
      expect.objectContaining({
        topologyKey: ZONE,
        labelSelector: { matchLabels: { istio: "ingressgateway" } },
      }),
    ]);
  });
});

describe("MESH_PROFILE=demo (default), as the walkthrough", () => {
  const { istio } = buildTestStacks();

  it("keeps one replica and no disruption budget, which would block node drains with one replica", () => {
    const istiod = helmRelease(istio, "istiod").values;
    const ingress = helmRelease(istio, "istio-ingressgateway").values;
    expect(istiod.replicaCount).toBe(1);
    expect(istiod.global.defaultPodDisruptionBudget).toEqual({ enabled: false });
    expect(ingress.replicaCount).toBe(1);
    expect(ingress.podDisruptionBudget).toEqual({});
  });

  it("rejects an unknown profile", () => {
    expect(() => buildTestStacks({ MESH_PROFILE: "prod" })).toThrow(
      'MESH_PROFILE="prod" is not one of demo, production',
    );
  });
});

describe("addons are never exposed outside the cluster", () => {
  const { istio } = buildTestStacks({ MESH_PROFILE: "production" });

  it("gives Prometheus, Grafana and Kiali ClusterIP Services only", () => {
    expect(helmRelease(istio, "prometheus").values.server.service.type).toBe("ClusterIP");
    expect(helmRelease(istio, "grafana").values.service.type).toBe("ClusterIP");
    expect(helmRelease(istio, "kiali").values.deployment.service_type).toBe("ClusterIP");
  });

  it("creates no Ingress, no LoadBalancer and no NodePort for them", () => {
    const stack = synthJson(istio);
    expect(Object.keys(stack.resource)).not.toContain("kubernetes_ingress_v1");
    for (const name of ["prometheus", "grafana", "kiali"]) {
      expect(JSON.stringify(helmRelease(istio, name).values)).not.toMatch(
        /LoadBalancer|NodePort|"ingress":\{"enabled":true/,
      );
    }
  });

  it("gives Grafana no anonymous access", () => {
    expect(helmRelease(istio, "grafana").values["grafana.ini"]["auth.anonymous"]).toEqual({ enabled: false });
  });
});

describe("node group", () => {
  it("replaces at most one node at a time", () => {
    const [nodeGroup] = Object.values(resources(buildTestStacks().cluster, "aws_eks_node_group"));
    expect(nodeGroup.update_config).toEqual({ max_unavailable: 1 });
  });
});
