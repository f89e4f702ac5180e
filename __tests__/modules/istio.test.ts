import { Release } from "@cdktf/provider-helm/lib/release";
import { INGRESS_GATEWAY_LABELS, NLB_ANNOTATIONS, VERSIONS } from "../../modules/config";
import { EGRESS_GATEWAY_LABELS } from "../../modules/istio";
import { buildTestStacks, helmRelease, resources, synth } from "../helpers";

type Json = Record<string, unknown>;

const ISTIO_RELEASES = {
  "istio-base": "base",
  istiod: "istiod",
  "istio-ingressgateway": "gateway",
  "istio-egressgateway": "gateway",
};

describe("Istio (istio-stack)", () => {
  const { istio } = buildTestStacks();
  const json = synth(istio);

  it("installs base, istiod and the gateway chart twice from Istio's repository, at the one Istio version", () => {
    for (const [name, chart] of Object.entries(ISTIO_RELEASES)) {
      expect(json).toHaveResourceWithProperties(Release, {
        name,
        chart,
        repository: "https://blob.istio.io/istio-release/charts",
        version: VERSIONS.istio,
        namespace: "istio-system",
      });
    }
    expect(
      Object.keys(resources(istio, "helm_release")).filter((id) => id.startsWith("istio_")),
    ).toHaveLength(4);
  });

  it("pins a supported Istio release whose Kubernetes range covers every Kubernetes version we accept", () => {
    expect(VERSIONS.istio).toMatch(/^\d+\.\d+\.\d+$/);
    const minor = VERSIONS.istio.split(".").slice(0, 2).join(".") as keyof typeof VERSIONS.supportedIstio;
    expect(VERSIONS.supportedIstio[minor]).toEqual(expect.arrayContaining([...VERSIONS.supportedKubernetes]));
  });

  it("creates istio-system and installs the CRDs into it before anything else", () => {
    const namespaces = Object.entries(resources(istio, "kubernetes_namespace_v1"));
    expect(namespaces).toHaveLength(1);
    const [[id, namespace]] = namespaces;
    expect(namespace.metadata).toEqual({ name: "istio-system" });
    expect(helmRelease(istio, "istio-base").config.depends_on).toEqual([`kubernetes_namespace_v1.${id}`]);
  });

  it("orders base, then istiod, then both gateways", () => {
    const base = helmRelease(istio, "istio-base");
    const istiod = helmRelease(istio, "istiod");
    expect(istiod.config.depends_on).toEqual([base.address]);
    for (const gateway of ["istio-ingressgateway", "istio-egressgateway"]) {
      expect(helmRelease(istio, gateway).config.depends_on).toEqual([istiod.address]);
    }
  });

  it("waits for every release to be ready, for up to ten minutes", () => {
    for (const name of Object.keys(ISTIO_RELEASES)) {
      expect(helmRelease(istio, name).config).toMatchObject({ wait: true, timeout: 600 });
    }
  });

  it("installs the CRDs as the default revision", () => {
    expect(helmRelease(istio, "istio-base").values).toEqual({ defaultRevision: "default" });
  });

  it("turns access logs on and has sidecars merge application and Envoy metrics for Prometheus", () => {
    expect(helmRelease(istio, "istiod").values.meshConfig).toEqual({
      accessLogFile: "/dev/stdout",
      enablePrometheusMerge: true,
    });
  });

  it("sizes istiod and the proxies as the demo profile does, to fit two t3.medium nodes", () => {
    const { pilot, global } = helmRelease(istio, "istiod").values as { pilot: Json; global: Json };
    expect(pilot).toEqual({
      autoscaleEnabled: false,
      replicaCount: 1,
      resources: { requests: { cpu: "100m", memory: "256Mi" } },
      topologySpreadConstraints: [],
    });
    expect(global).toEqual({
      proxy: { resources: { requests: { cpu: "10m", memory: "40Mi" } } },
      defaultPodDisruptionBudget: { enabled: false },
    });
    for (const gateway of ["istio-ingressgateway", "istio-egressgateway"]) {
      expect(helmRelease(istio, gateway).values).toMatchObject({
        autoscaling: { enabled: false },
        replicaCount: 1,
        resources: { requests: { cpu: "10m", memory: "40Mi" } },
      });
    }
  });

  it("labels the ingress gateway as the shopfront Gateway selects it, behind an internet-facing NLB", () => {
    const { values } = helmRelease(istio, "istio-ingressgateway");
    expect(values.labels).toEqual({ ...INGRESS_GATEWAY_LABELS });
    expect(values.labels).toEqual({ app: "istio-ingressgateway", istio: "ingressgateway" });
    expect(values.service).toEqual({
      type: "LoadBalancer",
      annotations: {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
      },
    });
  });

  it("keeps the egress gateway inside the cluster, labelled istio: egressgateway", () => {
    const { values } = helmRelease(istio, "istio-egressgateway");
    expect(values.labels).toEqual({ app: "istio-egressgateway", istio: "egressgateway" });
    expect(values.labels).toEqual({ ...EGRESS_GATEWAY_LABELS });
    expect(values.service).toEqual({ type: "ClusterIP" });
  });

  it("follows INGRESS_SERVICE_TYPE and INGRESS_SERVICE_ANNOTATIONS", () => {
    const { istio: other } = buildTestStacks({
      INGRESS_SERVICE_TYPE: "NodePort",
      INGRESS_SERVICE_ANNOTATIONS: "example.com/team=mesh, owner=platform",
    });
    expect(helmRelease(other, "istio-ingressgateway").values.service).toEqual({
      type: "NodePort",
      annotations: { "example.com/team": "mesh", owner: "platform" },
    });
    const { istio: bare } = buildTestStacks({ INGRESS_SERVICE_ANNOTATIONS: "none" });
    expect(helmRelease(bare, "istio-ingressgateway").values.service).toEqual({
      type: "LoadBalancer",
      annotations: {},
    });
    expect(NLB_ANNOTATIONS).not.toEqual({});
  });

  it("installs every Istio chart at ISTIO_VERSION", () => {
    const { istio: other } = buildTestStacks({ ISTIO_VERSION: "1.31.0" });
    for (const name of Object.keys(ISTIO_RELEASES)) {
      expect(helmRelease(other, name).config.version).toBe("1.31.0");
    }
  });
});
