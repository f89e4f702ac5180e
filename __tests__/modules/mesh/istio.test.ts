import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { Release } from "@cdktf/provider-helm/lib/release";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { EGRESS_GATEWAY_LABELS, Istio, type IstioProps } from "../../../modules/mesh/istio";
import { INGRESS_GATEWAY_LABELS } from "../../../modules/settings/names";
import { NLB_ANNOTATIONS } from "../../../modules/settings/sections/istio";
import { VERSIONS } from "../../../modules/settings/versions";
import { buildTestStacks, helmRelease, resources, synth, testApp } from "../../helpers";

type Json = Record<string, unknown>;

const ISTIO_RELEASES = {
  "istio-base": "base",
  "istio-cni": "cni",
  istiod: "istiod",
  "istio-ingressgateway": "gateway",
  "istio-egressgateway": "gateway",
};

describe("Istio (istio-stack)", () => {
  const { istio } = buildTestStacks();
  const json = synth(istio);

  it("installs base, cni, istiod and the gateway chart twice from Istio's repository, at the one Istio version", () => {
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
    ).toHaveLength(5);
  });

  it("pins a supported Istio release whose Kubernetes range covers every Kubernetes version we accept", () => {
    expect(VERSIONS.istio).toMatch(/^\d+\.\d+\.\d+$/);
    const minor = VERSIONS.istio.split(".").slice(0, 2).join(".") as keyof typeof VERSIONS.supportedIstio;
    expect(VERSIONS.supportedIstio[minor]).toEqual(expect.arrayContaining([...VERSIONS.supportedKubernetes]));
  });

  it("creates istio-system, privileged for Pod Security Admission as Istio documents for the CNI agent, and installs the CRDs into it before anything else", () => {
    const namespaces = Object.entries(resources(istio, "kubernetes_namespace_v1"));
    expect(namespaces).toHaveLength(1);
    const [[id, namespace]] = namespaces;
    expect(namespace.metadata).toEqual({
      name: "istio-system",
      labels: {
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/enforce-version": "latest",
      },
    });
    const crds = Object.keys(resources(istio, "kubernetes_manifest")).map(
      (crd) => `kubernetes_manifest.${crd}`,
    );
    expect(crds.length).toBeGreaterThan(10);
    expect([...(helmRelease(istio, "istio-base").config.depends_on as string[])].sort()).toEqual(
      [`kubernetes_namespace_v1.${id}`, ...crds].sort(),
    );
  });

  it("orders base, then the CNI node agent, then istiod, then both gateways", () => {
    const base = helmRelease(istio, "istio-base");
    const cni = helmRelease(istio, "istio-cni");
    const istiod = helmRelease(istio, "istiod");
    expect(cni.config.depends_on).toEqual([base.address]);
    expect(istiod.config.depends_on).toEqual([cni.address]);
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
      outboundTrafficPolicy: { mode: "ALLOW_ANY" },
    });
  });

  it("sizes istiod and the proxies as the demo profile does, to fit two t3.medium nodes", () => {
    const { global, ...values } = helmRelease(istio, "istiod").values as { global: Json } & Json;
    expect(values).toMatchObject({
      autoscaleEnabled: false,
      replicaCount: 1,
      resources: { requests: { cpu: "100m", memory: "256Mi" } },
      topologySpreadConstraints: [],
    });
    // At the top level, where the istiod chart has them since 1.24: not under the legacy `pilot.` prefix.
    expect(values).not.toHaveProperty("pilot");
    expect(global).toEqual({
      proxy: {
        resources: { requests: { cpu: "10m", memory: "40Mi" } },
        seccompProfile: { type: "RuntimeDefault" },
      },
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

  it("labels the ingress gateway as the shopfront Gateway selects it, behind an internal NLB by default", () => {
    const { values } = helmRelease(istio, "istio-ingressgateway");
    expect(values.labels).toEqual({ ...INGRESS_GATEWAY_LABELS });
    expect(values.labels).toEqual({ app: "istio-ingressgateway", istio: "ingressgateway" });
    expect(values.service).toEqual({
      type: "LoadBalancer",
      annotations: {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
      },
    });
  });

  it("opens the NLB to the internet only for INGRESS_SOURCE_CIDRS, and puts TLS on it with INGRESS_CERTIFICATE_ARN", () => {
    const certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
    const { istio: open } = buildTestStacks({
      INGRESS_SOURCE_CIDRS: "203.0.113.0/24",
      INGRESS_CERTIFICATE_ARN: certificate,
    });
    const service = helmRelease(open, "istio-ingressgateway").values.service;
    expect(service).toMatchObject({
      type: "LoadBalancer",
      annotations: {
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-internal": "false",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": certificate,
        "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "443",
      },
      loadBalancerSourceRanges: ["203.0.113.0/24"],
    });
    expect(service.ports.map((port: { port: number }) => port.port)).not.toContain(80);
    expect(JSON.parse(synth(open)).output.gateway_url.value).toMatch(/^https:\/\//);
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
    // With no annotations of their own, only the scheme the source ranges decide.
    const { istio: bare } = buildTestStacks({
      INGRESS_SERVICE_ANNOTATIONS: "none",
      INGRESS_SOURCE_CIDRS: "0.0.0.0/0",
    });
    expect(helmRelease(bare, "istio-ingressgateway").values.service).toEqual({
      type: "LoadBalancer",
      annotations: {
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-internal": "false",
      },
      loadBalancerSourceRanges: ["0.0.0.0/0"],
    });
    expect(NLB_ANNOTATIONS).not.toEqual({});
  });

  it("refuses hosts outside the registry with MESH_PROFILE=production, allows them with the demo default", () => {
    const { istio: production } = buildTestStacks({ MESH_PROFILE: "production" });
    expect(helmRelease(production, "istiod").values.meshConfig.outboundTrafficPolicy).toEqual({
      mode: "REGISTRY_ONLY",
    });
    expect(helmRelease(istio, "istiod").values.meshConfig.outboundTrafficPolicy).toEqual({
      mode: "ALLOW_ANY",
    });
    const { istio: chosen } = buildTestStacks({ OUTBOUND_TRAFFIC_POLICY: "REGISTRY_ONLY" });
    expect(helmRelease(chosen, "istiod").values.meshConfig.outboundTrafficPolicy).toEqual({
      mode: "REGISTRY_ONLY",
    });
  });

  it("installs every Istio chart at ISTIO_VERSION", () => {
    const { istio: other } = buildTestStacks({ ISTIO_VERSION: "1.31.0" });
    for (const name of Object.keys(ISTIO_RELEASES)) {
      expect(helmRelease(other, name).config.version).toBe("1.31.0");
    }
  });
});

/** The Istio construct alone in a stack, with `props` over the least it needs. */
function istioAlone(props: Partial<IstioProps> = {}) {
  const stack = new TerraformStack(testApp(), "istio-alone");
  new HelmProvider(stack, "helm", {});
  new KubernetesProvider(stack, "kubernetes", {});
  const istio = new Istio(stack, "istio", { version: VERSIONS.istio, ingressSourceCidrs: [], ...props });
  return { stack, istio, service: () => helmRelease(stack, "istio-ingressgateway").values.service };
}

const CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const ANNOTATION = {
  type: "service.beta.kubernetes.io/aws-load-balancer-type",
  scheme: "service.beta.kubernetes.io/aws-load-balancer-scheme",
  internal: "service.beta.kubernetes.io/aws-load-balancer-internal",
  certificate: "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
  tlsPorts: "service.beta.kubernetes.io/aws-load-balancer-ssl-ports",
  tlsPolicy: "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy",
};

describe("Istio construct: ingress source ranges and TLS", () => {
  it("puts the ingress behind an internal load balancer when no source CIDR is given", () => {
    const service = istioAlone({ ingressServiceAnnotations: NLB_ANNOTATIONS }).service();
    expect(service.annotations).toEqual({
      [ANNOTATION.type]: "nlb",
      // EKS's service controller reads `internal`; the AWS Load Balancer Controller reads `scheme`.
      [ANNOTATION.internal]: "true",
      [ANNOTATION.scheme]: "internal",
    });
    expect(service).not.toHaveProperty("loadBalancerSourceRanges");
  });

  it("makes it internet-facing and open to the given source CIDRs only", () => {
    const service = istioAlone({ ingressSourceCidrs: ["203.0.113.0/24", "198.51.100.7/32"] }).service();
    expect(service.annotations).toEqual({
      [ANNOTATION.internal]: "false",
      [ANNOTATION.scheme]: "internet-facing",
    });
    expect(service.loadBalancerSourceRanges).toEqual(["203.0.113.0/24", "198.51.100.7/32"]);
  });

  it("decides the scheme itself, whatever the Service annotations say", () => {
    const service = istioAlone({
      ingressServiceAnnotations: { [ANNOTATION.scheme]: "internet-facing", [ANNOTATION.internal]: "false" },
    }).service();
    expect(service.annotations).toEqual({ [ANNOTATION.internal]: "true", [ANNOTATION.scheme]: "internal" });
  });

  it("serves plain HTTP on the chart's ports when no certificate is given", () => {
    const { istio, service } = istioAlone({ ingressSourceCidrs: ["203.0.113.0/24"] });
    expect(service()).not.toHaveProperty("ports");
    expect(Object.keys(service().annotations)).not.toContain(ANNOTATION.certificate);
    expect(istio.ingressProtocol).toBe("http");
  });

  it("with a certificate, terminates TLS on 443 with a TLS 1.2+ policy, forwards plain HTTP to the gateway's port 80, and closes 80", () => {
    const { istio, service } = istioAlone({
      ingressSourceCidrs: ["203.0.113.0/24"],
      ingressCertificateArn: CERTIFICATE,
    });
    expect(service().annotations).toMatchObject({
      [ANNOTATION.certificate]: CERTIFICATE,
      [ANNOTATION.tlsPorts]: "443",
      [ANNOTATION.tlsPolicy]: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    });
    expect(service().ports).toEqual([
      { name: "status-port", port: 15021, protocol: "TCP", targetPort: 15021 },
      { name: "https", port: 443, protocol: "TCP", targetPort: 80 },
    ]);
    expect(service().ports.map((port: { port: number }) => port.port)).not.toContain(80);
    expect(istio.ingressProtocol).toBe("https");
  });

  it("keeps an internal load balancer internal with TLS on", () => {
    const service = istioAlone({ ingressCertificateArn: CERTIFICATE }).service();
    expect(service.annotations).toMatchObject({
      [ANNOTATION.internal]: "true",
      [ANNOTATION.scheme]: "internal",
    });
    expect(service).not.toHaveProperty("loadBalancerSourceRanges");
  });

  it("leaves a Service without a load balancer as it is: no scheme, no source ranges", () => {
    const service = istioAlone({
      ingressServiceType: "NodePort",
      ingressSourceCidrs: ["203.0.113.0/24"],
    }).service();
    expect(service).toEqual({ type: "NodePort", annotations: {} });
  });

  it("refuses a certificate on a Service without a load balancer, through CDKTF's validation", () => {
    const { stack } = istioAlone({ ingressServiceType: "ClusterIP", ingressCertificateArn: CERTIFICATE });
    expect(() => Testing.synth(stack, true)).toThrow(
      "ingressCertificateArn puts TLS on the ingress load balancer, but a ClusterIP Service has none: use a LoadBalancer Service or no certificate",
    );
    const { stack: valid } = istioAlone({ ingressCertificateArn: CERTIFICATE });
    expect(() => Testing.synth(valid, true)).not.toThrow();
  });
});

describe("Istio construct: egress", () => {
  const mode = (props: Partial<IstioProps>) =>
    helmRelease(istioAlone(props).stack, "istiod").values.meshConfig.outboundTrafficPolicy;

  it("lets sidecars reach any host in the demo profile, as the walkthrough", () => {
    expect(mode({})).toEqual({ mode: "ALLOW_ANY" });
    expect(mode({ profile: "demo" })).toEqual({ mode: "ALLOW_ANY" });
  });

  it("lets them reach only registered hosts in the production profile", () => {
    expect(mode({ profile: "production" })).toEqual({ mode: "REGISTRY_ONLY" });
  });

  it("follows an explicit outboundTrafficPolicy in either profile", () => {
    expect(mode({ profile: "demo", outboundTrafficPolicy: "REGISTRY_ONLY" })).toEqual({
      mode: "REGISTRY_ONLY",
    });
    expect(mode({ profile: "production", outboundTrafficPolicy: "ALLOW_ANY" })).toEqual({
      mode: "ALLOW_ANY",
    });
  });
});

describe("Istio construct: pods without NET_ADMIN or NET_RAW", () => {
  const { stack } = istioAlone();

  it("installs Istio's CNI node agent from the cni chart, at the Istio version, in istio-system", () => {
    expect(helmRelease(stack, "istio-cni").config).toMatchObject({
      chart: "cni",
      repository: "https://blob.istio.io/istio-release/charts",
      version: VERSIONS.istio,
      namespace: "istio-system",
      wait: true,
    });
  });

  it("points the agent at the EKS nodes' CNI directories and chains it after the VPC CNI's plugins", () => {
    expect(helmRelease(stack, "istio-cni").values).toMatchObject({
      cniBinDir: "/opt/cni/bin",
      cniConfDir: "/etc/cni/net.d",
      chained: true,
    });
  });

  it("has istiod inject for the CNI agent, so no pod gets the istio-init container", () => {
    // The chart hands its top-level `cni` to the injector as `pilot.cni`, which chooses istio-validation.
    expect(helmRelease(stack, "istiod").values.cni).toEqual({ enabled: true });
  });

  it("gives the containers istiod injects the RuntimeDefault seccomp profile that restricted pods need", () => {
    expect(helmRelease(stack, "istiod").values.global.proxy.seccompProfile).toEqual({
      type: "RuntimeDefault",
    });
  });

  it("installs the agent before istiod, so that it runs on every node before a pod is injected", () => {
    expect(helmRelease(stack, "istiod").config.depends_on).toEqual([helmRelease(stack, "istio-cni").address]);
  });
});
