/**
 * The four mesh variants (MESH_MODE x ROUTING_API) across the stacks that change with them:
 * istio-stack's releases, istio-config-stack's mesh-wide objects and shopfront-stack's app, each
 * variant with its reviewed plans.
 */
import type { App, TerraformStack } from "cdktf";
import { parse } from "yaml";
import { DEFAULT_HTTP_RETRY_POLICY } from "../../modules/mesh/istio";
import { MESH_VARIANTS, type MeshVariant } from "../../modules/mesh/mesh-variant";
import { INGRESS_GATEWAY_PRINCIPAL } from "../../modules/settings/names";
import { VERSIONS } from "../../modules/settings/versions";
import { validationErrors } from "../../stacks/app";
import {
  buildTestStacks,
  dependenciesOf,
  helmRelease,
  kubernetesManifests,
  resources,
  synthJson,
} from "../helpers";

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON, read field by field.
type Json = any;

const NAMESPACE = "miztiik-automation-ns";
const AMBIENT_GATEWAY_API: MeshVariant = { meshMode: "ambient", routingApi: "gateway-api" };

const GATEWAY_API_PRINCIPAL = "cluster.local/ns/istio-system/sa/shopfront-gateway-istio";
const label = ({ meshMode, routingApi }: MeshVariant) => `${meshMode} x ${routingApi}`;
/** The settings that choose `variant`, as a user sets them. */
const settingsOf = ({ meshMode, routingApi }: MeshVariant) => ({
  MESH_MODE: meshMode,
  ROUTING_API: routingApi,
});

/** A stack's kubernetes_manifests, by `Kind/name` (`Kind/namespace/name` outside the shopfront's). */
const manifestsOf = (stack: TerraformStack) => kubernetesManifests(synthJson(stack));

describe.each(MESH_VARIANTS)("mesh variant %#", (variant) => {
  const ambient = variant.meshMode === "ambient";
  const gatewayApi = variant.routingApi === "gateway-api";
  const stacks = buildTestStacks(settingsOf(variant));
  const istioJson = synthJson(stacks.istio);
  const istioConfigJson = synthJson(stacks.istioConfig);
  const shopfrontJson = synthJson(stacks.shopfront);
  const meshWide = manifestsOf(stacks.istioConfig);
  const manifests = manifestsOf(stacks.shopfront);
  const kinds = [...manifests.keys()];

  describe(label(variant), () => {
    it("installs istiod and the CNI agent with the ambient profile in ambient mode only, and ztunnel after istiod", () => {
      const istiod = helmRelease(stacks.istio, "istiod");
      const cni = helmRelease(stacks.istio, "istio-cni");
      expect(istiod.values.profile).toBe(ambient ? "ambient" : undefined);
      expect(cni.values.profile).toBe(ambient ? "ambient" : undefined);
      // No platform profile: Istio has none for EKS, and an unknown one fails the render.
      expect(istiod.values.global.platform).toBeUndefined();
      expect(cni.values.global).toBeUndefined();
      const ztunnels = Object.values(resources(stacks.istio, "helm_release")).filter(
        (r) => r.name === "ztunnel",
      );
      expect(ztunnels).toHaveLength(ambient ? 1 : 0);
      if (ambient) {
        const ztunnel = helmRelease(stacks.istio, "ztunnel");
        expect(ztunnel.config).toMatchObject({
          chart: "ztunnel",
          repository: "https://blob.istio.io/istio-release/charts",
          version: VERSIONS.istio,
          namespace: "istio-system",
          wait: true,
          depends_on: [istiod.address],
        });
        // Right-sized for the demo profile, from the chart's 200m and 512Mi per node.
        expect(ztunnel.values).toEqual({
          profile: "ambient",
          resources: { requests: { cpu: "50m", memory: "128Mi" } },
        });
        expect(istiod.values.global.waypoint).toEqual({
          resources: { requests: { cpu: "10m", memory: "40Mi" } },
        });
      }
    });

    it("installs the gateway chart's ingress release with Istio's routing API only; the Gateway API's retries come from meshConfig", () => {
      const names = Object.values(resources(stacks.istio, "helm_release")).map((r) => r.name);
      expect(names.includes("istio-ingressgateway")).toBe(!gatewayApi);
      expect(names).toContain("istio-egressgateway");
      const egress = helmRelease(stacks.istio, "istio-egressgateway");
      expect(egress.config.depends_on).toEqual([
        helmRelease(stacks.istio, ambient ? "ztunnel" : "istiod").address,
      ]);
      const meshConfig = helmRelease(stacks.istio, "istiod").values.meshConfig;
      expect(meshConfig.defaultHttpRetryPolicy).toEqual(gatewayApi ? DEFAULT_HTTP_RETRY_POLICY : undefined);
    });

    it("installs the Gateway API CRDs before every Istio release, so they are removed after them", () => {
      const crds = Object.keys(resources(stacks.istio, "kubernetes_manifest")).map(
        (id) => `kubernetes_manifest.${id}`,
      );
      expect(crds).toHaveLength(12);
      for (const [id] of Object.entries(resources(stacks.istio, "helm_release"))) {
        const below = dependenciesOf(istioJson, `helm_release.${id}`);
        for (const crd of crds) expect(below).toContain(crd);
      }
    });

    it(`applies the mesh-wide objects from istio-config-stack: STRICT mTLS${gatewayApi ? " and the Gateway API ingress" : ""}; shopfront-stack none`, () => {
      expect([...meshWide.keys()].sort()).toEqual(
        [
          "PeerAuthentication/istio-system/default",
          ...(gatewayApi
            ? ["ConfigMap/istio-system/shopfront-gateway", "Gateway/istio-system/shopfront-gateway"]
            : []),
        ].sort(),
      );
      expect((meshWide.get("PeerAuthentication/istio-system/default") as Json).manifest.spec).toEqual({
        mtls: { mode: "STRICT" },
      });
      expect(kinds.filter((kind) => kind.includes("/istio-system/"))).toEqual([]);
    });

    it(`labels the namespace for ${ambient ? "ambient mode, with its waypoint" : "sidecar injection"}, never both`, () => {
      const { labels } = (manifests.get(`Namespace/${NAMESPACE}`) as Json).manifest.metadata;
      if (ambient) {
        expect(labels).toMatchObject({
          "istio.io/dataplane-mode": "ambient",
          "istio.io/use-waypoint": "waypoint",
        });
        expect(labels).not.toHaveProperty("istio-injection");
      } else {
        expect(labels).toMatchObject({ "istio-injection": "enabled" });
        expect(labels).not.toHaveProperty("istio.io/dataplane-mode");
        expect(labels).not.toHaveProperty("istio.io/use-waypoint");
      }
      expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    });

    it(
      ambient
        ? "deploys the namespace's waypoint, class istio-waypoint, HBONE on 15008"
        : "deploys no waypoint",
      () => {
        const waypoint = manifests.get("Gateway/waypoint");
        if (!ambient) {
          expect(waypoint).toBeUndefined();
          return;
        }
        expect(waypoint?.manifest).toMatchObject({
          apiVersion: "gateway.networking.k8s.io/v1",
          metadata: { labels: { "istio.io/waypoint-for": "service" } },
          spec: {
            gatewayClassName: "istio-waypoint",
            listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
          },
        });
        expect(waypoint?.wait).toEqual({ condition: [{ type: "Programmed", status: "True" }] });
      },
    );

    it(`routes with ${gatewayApi ? "an HTTPRoute over per-version Services" : "a VirtualService over subsets"}, 50/30/15/5`, () => {
      if (gatewayApi) {
        expect(kinds.filter((kind) => kind.startsWith("VirtualService/"))).toEqual([]);
        const route = (manifests.get("HTTPRoute/shopfront") as Json).manifest;
        expect(route.spec.parentRefs).toEqual([
          expect.objectContaining({ kind: "Gateway", name: "shopfront-gateway", namespace: "istio-system" }),
        ]);
        expect(route.spec.rules[0].timeouts).toEqual({ request: "4s" });
        expect(route.spec.rules[0].backendRefs).toEqual([
          { name: "shopfront-v1", port: 80, weight: 50 },
          { name: "shopfront-v2", port: 80, weight: 30 },
          { name: "shopfront-v3", port: 80, weight: 15 },
          { name: "shopfront-v4", port: 80, weight: 5 },
        ]);
        for (const version of ["v1", "v2", "v3", "v4"]) {
          expect((manifests.get(`Service/shopfront-${version}`) as Json).manifest.spec.selector).toEqual({
            app: "shopfront",
            version,
          });
          expect(
            (manifests.get(`DestinationRule/shopfront-${version}`) as Json).manifest.spec.trafficPolicy,
          ).toMatchObject({
            connectionPool: expect.any(Object),
            outlierDetection: expect.any(Object),
          });
        }
      } else {
        expect(kinds.filter((kind) => kind.startsWith("HTTPRoute/"))).toEqual([]);
        const route = (manifests.get("VirtualService/shopfront-virtual-service") as Json).manifest;
        expect(route.spec.http[0].route.map((r: Json) => [r.destination.subset, r.weight])).toEqual([
          ["v1", 50],
          ["v2", 30],
          ["v3", 15],
          ["v4", 5],
        ]);
      }
      expect(manifests.get("Service/shopfront-svc")).toBeDefined();
      expect(shopfrontJson.output.route_weights.value).toBe("v1=50,v2=30,v3=15,v4=5");
    });

    it("shifts a canary with SHOPFRONT_WEIGHTS on the route in use", () => {
      const canary = buildTestStacks({ ...settingsOf(variant), SHOPFRONT_WEIGHTS: "v1=90,v4=10" });
      const routes = manifestsOf(canary.shopfront);
      if (gatewayApi) {
        const route = (routes.get("HTTPRoute/shopfront") as Json).manifest;
        expect(route.spec.rules[0].backendRefs).toEqual([
          { name: "shopfront-v1", port: 80, weight: 90 },
          { name: "shopfront-v2", port: 80, weight: 0 },
          { name: "shopfront-v3", port: 80, weight: 0 },
          { name: "shopfront-v4", port: 80, weight: 10 },
        ]);
        expect(route.spec.rules[0].timeouts).toEqual({ request: "4s" });
      } else {
        const route = (routes.get("VirtualService/shopfront-virtual-service") as Json).manifest;
        expect(route.spec.http[0].route.map((r: Json) => r.weight)).toEqual([90, 0, 0, 10]);
      }
      expect(synthJson(canary.shopfront).output.route_weights.value).toBe("v1=90,v2=0,v3=0,v4=10");
    });

    it("admits only the ingress gateway's identity, and lets only its pods through the network", () => {
      const policy = (manifests.get("AuthorizationPolicy/shopfront-ingress-only") as Json).manifest;
      expect(policy.spec.rules).toEqual([
        {
          from: [
            { source: { principals: [gatewayApi ? GATEWAY_API_PRINCIPAL : INGRESS_GATEWAY_PRINCIPAL] } },
          ],
        },
      ]);
      const allow = (manifests.get("NetworkPolicy/shopfront-from-ingress-gateway") as Json).manifest;
      expect(allow.spec.ingress[0].from[0].podSelector.matchLabels).toEqual(
        gatewayApi
          ? { "gateway.networking.k8s.io/gateway-name": "shopfront-gateway" }
          : { app: "istio-ingressgateway", istio: "ingressgateway" },
      );
      expect(allow.spec.ingress[0].ports.map((port: Json) => port.port)).toEqual([8080, 15008]);
      expect((manifests.get("ConfigMap/shopfront-ingress") as Json).manifest.data.host).toBe(
        gatewayApi
          ? "shopfront-gateway-istio.istio-system.svc.cluster.local"
          : "istio-ingressgateway.istio-system.svc.cluster.local",
      );
      // Sidecar-only allows go in ambient mode; the kubelet's probes come from 169.254.7.127 there.
      expect(manifests.has("NetworkPolicy/shopfront-to-istiod")).toBe(!ambient);
      expect(manifests.has("NetworkPolicy/shopfront-probes-from-kubelet")).toBe(ambient);
      expect(manifests.has("NetworkPolicy/waypoint-to-istiod")).toBe(ambient);
    });

    it("waits on destroy until istiod's LoadBalancer Service, and so its NLB, is gone (gateway-api only)", () => {
      expect(shopfrontJson.resource.terraform_data).toBeUndefined();
      const waits = Object.entries(istioConfigJson.resource.terraform_data ?? {}) as [string, Json][];
      if (!gatewayApi) {
        // The chart's ingress is a Helm release, whose uninstall already waits for its Service.
        expect(waits).toEqual([]);
        return;
      }
      expect(waits).toHaveLength(1);
      const [[id, wait]] = waits;
      expect(wait.input).toMatchObject({
        namespace: "istio-system",
        service: "shopfront-gateway-istio",
        timeout: "15m",
      });
      expect(wait.provisioner).toEqual([
        {
          "local-exec": expect.objectContaining({
            when: "destroy",
            interpreter: ["/bin/sh", "-c"],
            command: expect.stringContaining('wait --for=delete "service/$SERVICE"'),
          }),
        },
      ]);
      // Destroyed after the Gateway: the Gateway depends on it, so Terraform deletes the Gateway first.
      const gateway = meshWide.get("Gateway/istio-system/shopfront-gateway") as Json;
      expect(dependenciesOf(istioConfigJson, gateway.address)).toContain(`terraform_data.${id}`);
      for (const { address } of meshWide.values()) {
        expect(dependenciesOf(istioConfigJson, `terraform_data.${id}`)).not.toContain(address);
      }
    });

    it("publishes ingress_hostname and gateway_url from the stack that owns the ingress in use: istio-stack or istio-config-stack", () => {
      const [owner, ...others] = gatewayApi
        ? [istioConfigJson, istioJson, shopfrontJson]
        : [istioJson, istioConfigJson, shopfrontJson];
      expect(owner.output.ingress_hostname.value).toMatch(
        /^\$\{data\.kubernetes_service_v1\.ingress-gateway-service\.status\[0\]\.load_balancer\[0\]\.ingress\[0\]\.hostname\}$/,
      );
      expect(owner.output.gateway_url.value).toMatch(/^http:\/\/\$\{data\.kubernetes_service_v1\./);
      for (const other of others) {
        expect(other.output?.ingress_hostname).toBeUndefined();
        expect(other.output?.gateway_url).toBeUndefined();
      }
      const read = owner.data.kubernetes_service_v1["ingress-gateway-service"];
      if (gatewayApi) {
        const gateway = meshWide.get("Gateway/istio-system/shopfront-gateway") as Json;
        expect(read.metadata).toEqual({ name: "shopfront-gateway-istio", namespace: "istio-system" });
        expect(read.depends_on).toEqual([gateway.address]);
        expect(gateway.wait).toEqual({ condition: [{ type: "Programmed", status: "True" }] });
        expect(gateway.manifest.spec).toMatchObject({
          gatewayClassName: "istio",
          infrastructure: {
            // Internal, as the chart's ingress without INGRESS_SOURCE_CIDRS.
            annotations: {
              "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
              "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
              "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
            },
            parametersRef: { group: "", kind: "ConfigMap", name: "shopfront-gateway" },
          },
        });
        expect((meshWide.get("ConfigMap/istio-system/shopfront-gateway") as Json).manifest.data).toEqual({});
      } else {
        expect(read.metadata.name).toBe("istio-ingressgateway");
      }
    });

    it("destroys the application first, then the waypoint and routes, then the gateways, then the mesh-wide objects, then Istio, then the CRDs", () => {
      const addresses = (predicate: (kind: string) => boolean) =>
        kinds.filter(predicate).map((kind) => (manifests.get(kind) as Json).address as string);
      const application = addresses((kind) => /^(Deployment|Service|PodDisruptionBudget)\//.test(kind));
      const routes = addresses(
        (kind) => /^(VirtualService|HTTPRoute)\//.test(kind) || kind === "Gateway/waypoint",
      );
      // Istio's Gateway binds the shopfront's routes to the chart's ingress, in the shopfront's namespace;
      // the Gateway API ingress is mesh-wide, istio-config-stack's.
      const gateways = addresses((kind) => kind === "Gateway/shopfront-gateway");
      expect(application.length).toBeGreaterThanOrEqual(gatewayApi ? 11 : 7);
      expect(routes).toHaveLength(ambient ? 2 : 1);
      expect(gateways).toHaveLength(gatewayApi ? 0 : 1);
      for (const address of application) {
        const below = dependenciesOf(shopfrontJson, address);
        for (const route of routes) expect(below).toContain(route);
        for (const gateway of gateways) expect(below).toContain(gateway);
      }
      for (const route of routes) {
        for (const gateway of gateways) expect(dependenciesOf(shopfrontJson, route)).toContain(gateway);
        for (const app of application) expect(dependenciesOf(shopfrontJson, route)).not.toContain(app);
      }
      // The stacks beneath, destroyed after: the mesh-wide objects, then Istio, its CRDs beneath its
      // releases (the test above).
      expect(stacks.shopfront.dependencies).toEqual(
        expect.arrayContaining([stacks.istioConfig, stacks.istio]),
      );
      expect(stacks.istioConfig.dependencies).toContain(stacks.istio);
    });

    if (variant.meshMode !== "sidecar" || variant.routingApi !== "istio") {
      // The walkthrough's combination has its snapshots in the stacks' own tests.
      it("matches the reviewed plans of istio-stack, istio-config-stack and shopfront-stack", () => {
        expect({
          istio: istioJson,
          istioConfig: istioConfigJson,
          shopfront: shopfrontJson,
        }).toMatchSnapshot();
      });
    }
  });
});

describe("the Gateway API ingress follows the ingress settings, as the chart's does", () => {
  const variant: MeshVariant = { meshMode: "sidecar", routingApi: "gateway-api" };

  it("puts INGRESS_SERVICE_ANNOTATIONS on the load balancer through the Gateway's infrastructure", () => {
    const stacks = buildTestStacks({
      ...settingsOf(variant),
      INGRESS_SOURCE_CIDRS: "203.0.113.0/24",
      INGRESS_SERVICE_ANNOTATIONS: "example.com/team=mesh",
    });
    const gateway = manifestsOf(stacks.istioConfig).get("Gateway/istio-system/shopfront-gateway") as Json;
    expect(gateway.manifest.spec.infrastructure.annotations).toEqual({
      "example.com/team": "mesh",
      "service.beta.kubernetes.io/aws-load-balancer-internal": "false",
      "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    });
    expect(gateway.manifest.metadata.annotations).toBeUndefined();
    const parameters = manifestsOf(stacks.istioConfig).get(
      "ConfigMap/istio-system/shopfront-gateway",
    ) as Json;
    expect(parameters.manifest.data).toEqual({
      service: "spec:\n  loadBalancerSourceRanges:\n    - 203.0.113.0/24\n",
    });
  });

  it("asks istiod for another Service type, without load balancer ranges, and publishes a port-forward", () => {
    const stacks = buildTestStacks({ ...settingsOf(variant), INGRESS_SERVICE_TYPE: "NodePort" });
    const manifests = manifestsOf(stacks.istioConfig);
    const gateway = (manifests.get("Gateway/istio-system/shopfront-gateway") as Json).manifest;
    expect(gateway.metadata.annotations).toEqual({ "networking.istio.io/service-type": "NodePort" });
    expect((manifests.get("ConfigMap/istio-system/shopfront-gateway") as Json).manifest.data).toEqual({});
    const json = synthJson(stacks.istioConfig);
    expect(json.output.ingress_port_forward.value).toBe(
      "kubectl -n istio-system port-forward svc/shopfront-gateway-istio 8080:80",
    );
    expect(json.output.gateway_url.value).toBe("http://localhost:8080");
    expect(json.data?.kubernetes_service_v1).toBeUndefined();
    // No load balancer to wait for on destroy.
    expect(json.resource.terraform_data).toBeUndefined();
  });

  describe("with INGRESS_CERTIFICATE_ARN: TLS ends at the NLB on 443 and port 80 is closed, as with the chart's ingress", () => {
    const certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0f2a3b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b";
    const tls = buildTestStacks({
      ...settingsOf(variant),
      INGRESS_SOURCE_CIDRS: "203.0.113.0/24",
      INGRESS_CERTIFICATE_ARN: certificate,
    });
    const manifests = manifestsOf(tls.shopfront);
    const gateway = (manifestsOf(tls.istioConfig).get("Gateway/istio-system/shopfront-gateway") as Json)
      .manifest;

    it("synthesizes, with no validation error", () => {
      expect(validationErrors(tls.shopfront.node.root as App)).toEqual([]);
    });

    it("puts the certificate, port 443 and a TLS 1.2+ policy on the NLB through the Gateway's infrastructure", () => {
      expect(gateway.spec.infrastructure.annotations).toEqual({
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-internal": "false",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": certificate,
        "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "443",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy":
          "ELBSecurityPolicy-TLS13-1-2-2021-06",
      });
    });

    it("moves the HTTP listener to 443, so that istiod's Service has port 443 and no port 80", () => {
      // istiod gives the Service one port per listener port (and 15021): 443 only, plain HTTP behind the NLB.
      expect(gateway.spec.listeners).toEqual([
        expect.objectContaining({ name: "http", port: 443, protocol: "HTTP" }),
      ]);
      const route = (manifests.get("HTTPRoute/shopfront") as Json).manifest;
      expect(route.spec.parentRefs[0].sectionName).toBe("http");
    });

    it("points the generators at the Service's port 443, and lets them reach the gateway pods there", () => {
      expect((manifests.get("ConfigMap/shopfront-ingress") as Json).manifest.data.host).toBe(
        "shopfront-gateway-istio.istio-system.svc.cluster.local:443",
      );
      const egress = (manifests.get("NetworkPolicy/generators-to-ingress-gateway") as Json).manifest.spec
        .egress;
      const toGateway = egress.filter((rule: Json) =>
        (rule.to ?? []).some(
          (peer: Json) =>
            peer.podSelector?.matchLabels?.["gateway.networking.k8s.io/gateway-name"] === "shopfront-gateway",
        ),
      );
      expect(toGateway.flatMap((rule: Json) => rule.ports)).toEqual([{ protocol: "TCP", port: 443 }]);
    });

    it("publishes an https:// gateway_url", () => {
      expect(synthJson(tls.istioConfig).output.gateway_url.value).toMatch(
        /^https:\/\/\$\{data\.kubernetes_service_v1\./,
      );
    });

    it("keeps the listener on 80 without a certificate", () => {
      const plain = manifestsOf(buildTestStacks(settingsOf(variant)).istioConfig);
      const listeners = (plain.get("Gateway/istio-system/shopfront-gateway") as Json).manifest.spec.listeners;
      expect(listeners).toEqual([expect.objectContaining({ name: "http", port: 80, protocol: "HTTP" })]);
    });
  });
});

describe("MESH_PROFILE=production makes the Gateway API proxies highly available, as the chart's ingress", () => {
  const stacks = buildTestStacks({ ...settingsOf(AMBIENT_GATEWAY_API), MESH_PROFILE: "production" });
  const manifests = new Map([...manifestsOf(stacks.istioConfig), ...manifestsOf(stacks.shopfront)]);

  it.each([
    ["ConfigMap/istio-system/shopfront-gateway", "shopfront-gateway"],
    ["ConfigMap/waypoint", "waypoint"],
  ])("%s: two replicas spread over the zones, and a budget that keeps one", (configMap, gateway) => {
    const data = (manifests.get(configMap) as Json).manifest.data;
    expect(parse(data.deployment)).toEqual({
      spec: {
        replicas: 2,
        template: {
          spec: {
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": gateway } },
              },
            ],
          },
        },
      },
    });
    expect(parse(data.podDisruptionBudget)).toEqual({ spec: { minAvailable: 1 } });
  });

  it("leaves them single with the demo profile", () => {
    const demo = manifestsOf(buildTestStacks(settingsOf(AMBIENT_GATEWAY_API)).shopfront);
    expect((demo.get("ConfigMap/waypoint") as Json).manifest.data).toEqual({});
  });
});
