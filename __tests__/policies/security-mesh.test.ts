/**
 * The mesh part of the security issue (issue 6), one test per rule, on the kubernetes_manifest
 * resources that the Shopfront construct synthesizes from manifests/, and the mesh-wide ones of
 * istio-config-stack. Istio has no Checkov checks, so each test is named after its rule. Each fails
 * when its rule is taken out of the manifests.
 */
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { INGRESS_GATEWAY_NAME, INGRESS_GATEWAY_PRINCIPAL } from "../../modules/settings/names";
import type { ShopfrontConfig } from "../../modules/settings/table";
import { ShopfrontManifests } from "../../modules/shopfront/manifest-set";
import { Shopfront } from "../../modules/shopfront/shopfront";
import {
  buildTestStacks,
  dependenciesOf,
  type KubernetesManifest,
  kubernetesManifests,
  manifestNamed,
  synthJson,
  synthScope,
} from "../helpers";

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON, read field by field.
type Json = any;

const NAMESPACE = "miztiik-automation-ns";
/** The ServiceAccount of istio-stack's ingress gateway (release istio-ingressgateway), in cluster.local. */
const GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway";
/** `npm run traffic` defaults (tools/traffic/cli.ts): requests in flight, and how long it waits for one. */
const TRAFFIC_TOOL = { concurrency: 10, timeoutMs: 5000 };
/** The generators (manifests/generators.yaml) wait 5 s (wget -T 5), one request at a time each. */
const GENERATORS = { concurrency: 2, timeoutMs: 5000 };

/** The Shopfront's stack, synthesized with `config`: its Terraform JSON. */
function synthesize(config: Partial<ShopfrontConfig> = {}): Json {
  return JSON.parse(
    synthScope((stack) => {
      new KubernetesProvider(stack, "kubernetes", {});
      new Shopfront(stack, "shopfront", {
        manifests: new ShopfrontManifests({
          config: { loadGenerator: false, errorGenerator: false, ...config },
        }),
      });
    }),
  );
}

const json = synthesize();
const manifests = kubernetesManifests(json);
const ofKind = (kind: string, namespace = NAMESPACE) =>
  [...manifests.values()].filter(
    (r) => r.manifest.kind === kind && r.manifest.metadata.namespace === namespace,
  );
/** The one kubernetes_manifest of `Kind/name` (`Kind/namespace/name` outside the shopfront's namespace). */
const only = (key: string) => manifestNamed(manifests, key);
const shopfrontDeployments = ofKind("Deployment").filter(
  (r) => r.manifest.spec.template.metadata.labels.app === "shopfront",
);
const podLabels = (deployment: KubernetesManifest): Record<string, string> =>
  deployment.manifest.spec.template.metadata.labels;
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);
const shopfrontRoute = () => only("VirtualService/shopfront-virtual-service").manifest.spec.http[0];
const circuitBreaker = () => only("DestinationRule/shopfront-svc").manifest.spec.trafficPolicy;

/** Milliseconds in an Istio duration such as `4s` or `500ms`. */
function milliseconds(duration: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(duration);
  if (match === null) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
}

describe("mesh security (issue 6)", () => {
  it("mutual TLS is STRICT for every sidecar of the shopfront namespace", () => {
    const namespaceWide = ofKind("PeerAuthentication").filter((r) => r.manifest.spec.selector === undefined);
    expect(namespaceWide.map((r) => r.manifest.spec)).toEqual([{ mtls: { mode: "STRICT" } }]);
  });

  it("mutual TLS is STRICT by default for the whole mesh (PeerAuthentication default in istio-system), which the mesh's stack holds", () => {
    const meshWide = kubernetesManifests(synthJson(buildTestStacks().istioConfig));
    expect(manifestNamed(meshWide, "PeerAuthentication/istio-system/default").manifest.spec).toEqual({
      mtls: { mode: "STRICT" },
    });
  });

  it("only the ingress gateway's identity may call the shopfront", () => {
    const policies = ofKind("AuthorizationPolicy");
    for (const deployment of shopfrontDeployments) {
      const guarding = policies.filter((r) =>
        selects(r.manifest.spec.selector.matchLabels, podLabels(deployment)),
      );
      expect(guarding).not.toHaveLength(0);
      for (const { manifest } of guarding) {
        // An ALLOW policy denies whatever its rules do not match.
        expect(manifest.spec.action).toBe("ALLOW");
        expect(manifest.spec.rules).toEqual([{ from: [{ source: { principals: [GATEWAY_PRINCIPAL] } }] }]);
      }
    }
  });

  it("the admitted identity is the ServiceAccount of the ingress gateway that istio-stack installs", () => {
    // The gateway chart names the ServiceAccount after the release; istio-system, cluster.local: Istio's defaults.
    expect(GATEWAY_PRINCIPAL).toBe(`cluster.local/ns/istio-system/sa/${INGRESS_GATEWAY_NAME}`);
    expect(INGRESS_GATEWAY_PRINCIPAL).toBe(GATEWAY_PRINCIPAL);
  });

  it("kubelet probes keep working under STRICT: no shopfront pod turns off Istio's probe rewrite", () => {
    for (const deployment of shopfrontDeployments) {
      const { metadata, spec } = deployment.manifest.spec.template;
      expect(spec.containers[0].readinessProbe.httpGet).toBeDefined();
      expect(metadata.annotations?.["sidecar.istio.io/rewriteAppHTTPProbers"]).not.toBe("false");
    }
  });

  it("routes open only once mutual TLS and the authorization policy are in place", () => {
    const route = only("VirtualService/shopfront-virtual-service");
    const below = dependenciesOf(json, route.address);
    expect([...below]).toEqual(
      expect.arrayContaining([
        only("PeerAuthentication/default").address,
        only("AuthorizationPolicy/shopfront-ingress-only").address,
      ]),
    );
    // The mesh-wide default is the stack's beneath: deployed before shopfront-stack, destroyed after it.
    const stacks = buildTestStacks();
    expect(stacks.shopfront.dependencies).toContain(stacks.istioConfig);
  });
});

describe("mesh resilience (issue 6)", () => {
  it("circuit breaker: connections and waiting requests to each version are bounded, above what the traffic tool and generators keep in flight", () => {
    const { tcp, http } = circuitBreaker().connectionPool;
    const inFlight = TRAFFIC_TOOL.concurrency + GENERATORS.concurrency;
    for (const limit of [tcp.maxConnections, http.http1MaxPendingRequests]) {
      expect(Number.isInteger(limit)).toBe(true);
      expect(limit).toBeGreaterThanOrEqual(inFlight);
    }
    // 1 would turn keep-alive off: a TLS handshake per request.
    expect(http.maxRequestsPerConnection).toBeGreaterThan(1);
  });

  it("circuit breaker: outlier detection ejects a failing pod only while its version has others to serve", () => {
    const outlierDetection = circuitBreaker().outlierDetection;
    expect(outlierDetection.consecutive5xxErrors).toBeGreaterThan(0);
    expect(outlierDetection.maxEjectionPercent).toBeLessThanOrEqual(50);
    // Below this share of healthy pods, Envoy uses ejected pods too: v3's and v4's single pods keep serving.
    expect(outlierDetection.minHealthPercent).toBeGreaterThanOrEqual(50);
  });

  it("every request has a timeout, shorter than the traffic tool's and the generators' own", () => {
    expect(milliseconds(shopfrontRoute().timeout)).toBeLessThan(
      Math.min(TRAFFIC_TOOL.timeoutMs, GENERATORS.timeoutMs),
    );
  });

  it("retries are bounded (at most 3, all within the timeout) and only of connection failures, never of a 5xx or 404", () => {
    const { timeout, retries } = shopfrontRoute();
    expect(retries.attempts).toBeGreaterThan(0);
    expect(retries.attempts).toBeLessThanOrEqual(3);
    expect(milliseconds(retries.perTryTimeout) * (retries.attempts + 1)).toBeLessThanOrEqual(
      milliseconds(timeout),
    );
    for (const condition of retries.retryOn.split(",")) {
      expect(["connect-failure", "refused-stream", "reset", "unavailable", "cancelled"]).toContain(condition);
    }
  });

  it("a canary shift (SHOPFRONT_WEIGHTS) keeps the route's timeout and retries", () => {
    const shifted = manifestNamed(
      kubernetesManifests(synthesize({ weights: { v1: 90, v4: 10 } })),
      "VirtualService/shopfront-virtual-service",
    ).manifest.spec.http[0];
    expect(shifted.route.map((entry: Json) => entry.weight)).toEqual([90, 10]);
    const { timeout, retries } = shopfrontRoute();
    expect(timeout).toBeDefined();
    expect(retries).toBeDefined();
    expect(shifted).toMatchObject({ timeout, retries });
  });

  it("every Deployment of more than one pod has a PodDisruptionBudget that lets a node drain evict one at a time", () => {
    const budgets = ofKind("PodDisruptionBudget");
    const replicated = shopfrontDeployments.filter((r) => r.manifest.spec.replicas > 1);
    expect(replicated).not.toHaveLength(0);
    for (const deployment of replicated) {
      const guarding = budgets.filter((r) =>
        selects(r.manifest.spec.selector.matchLabels, podLabels(deployment)),
      );
      expect(guarding.map((r) => r.manifest.spec.maxUnavailable)).toEqual([1]);
    }
  });

  it("no single-pod Deployment has a PodDisruptionBudget, which would block node drains or protect nothing", () => {
    const single = shopfrontDeployments.filter((r) => r.manifest.spec.replicas === 1);
    expect(single).not.toHaveLength(0);
    for (const deployment of single) {
      const guarding = ofKind("PodDisruptionBudget").filter((r) =>
        selects(r.manifest.spec.selector.matchLabels, podLabels(deployment)),
      );
      expect(guarding).toEqual([]);
    }
  });
});
