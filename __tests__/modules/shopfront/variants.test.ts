import { checkManifests as analyze } from "../../../modules/manifests/checks";
import type { ManifestDocument } from "../../../modules/manifests/model";
import { MESH_VARIANTS, type MeshVariant } from "../../../modules/mesh/mesh-variant";
import {
  httpRouteWeights,
  ingressPrincipal,
  shopfrontManifestPaths,
  shopfrontRouteWeights,
  withGatewayApiIngress,
  withHttpRouteWeights,
  withShopfrontWeights,
  withTlsIngressHost,
} from "../../../modules/shopfront/variants";
import { type Editable, editedCopy, error, variantManifests } from "../../manifest-documents";

const NAMESPACE = "miztiik-automation-ns";
const AMBIENT_GATEWAY_API: MeshVariant = { meshMode: "ambient", routingApi: "gateway-api" };
const ROUTES = "manifests/routing-gateway-api/shopfront-routes.yaml";
const GATEWAY = "manifests/routing-gateway-api/shopfront-gateway.yaml";
const AMBIENT_NAMESPACE = "manifests/ambient/namespace.yaml";

function documentsOf(variant: MeshVariant): ManifestDocument[] {
  const parsed = variantManifests(variant);
  expect(parsed.findings).toEqual([]);
  return parsed.documents;
}

/** The ambient x gateway-api manifests, deep-copied, after `edit` changed the object `kind`/`name`. */
function edited(kind: string, name: string, edit: (object: Editable) => void, namespace = NAMESPACE) {
  return editedCopy(documentsOf(AMBIENT_GATEWAY_API), (objectOf) => edit(objectOf(kind, name, namespace)));
}

const check = (documents: readonly ManifestDocument[]) =>
  analyze(documents, { ingressGatewayPrincipal: ingressPrincipal("gateway-api") });

describe("the manifests of each mesh variant", () => {
  it.each(MESH_VARIANTS)("%o: pass every check, the canary shift too", (variant) => {
    const documents = documentsOf(variant);
    const options = { ingressGatewayPrincipal: ingressPrincipal(variant.routingApi) };
    expect(analyze(documents, options)).toEqual([]);
    const canary = withShopfrontWeights(documents, { v1: 90, v2: 0, v3: 0, v4: 10 }, variant.routingApi);
    expect(analyze(canary, options)).toEqual([]);
    expect(shopfrontRouteWeights(canary, variant.routingApi)).toEqual({ v1: 90, v2: 0, v3: 0, v4: 10 });
  });

  it.each(MESH_VARIANTS)(
    "%o: the data plane's folder first (its Namespace), then the shared files, then the routing API's",
    (variant) => {
      const paths = shopfrontManifestPaths("manifests", variant);
      expect(paths[0]).toBe(`manifests/${variant.meshMode}/namespace.yaml`);
      const folders = [...new Set(paths.map((path) => path.split("/").slice(0, -1).join("/")))];
      expect(folders).toEqual([
        `manifests/${variant.meshMode}`,
        "manifests",
        `manifests/routing-${variant.routingApi}`,
      ]);
    },
  );

  it("the ingress identity follows the routing API", () => {
    expect(ingressPrincipal("istio")).toBe("cluster.local/ns/istio-system/sa/istio-ingressgateway");
    expect(ingressPrincipal("gateway-api")).toBe("cluster.local/ns/istio-system/sa/shopfront-gateway-istio");
  });
});

describe("HTTPRoute weights (SHOPFRONT_WEIGHTS with ROUTING_API=gateway-api)", () => {
  const documents = documentsOf(AMBIENT_GATEWAY_API);

  it("reads each version's weight through the Service it routes to", () => {
    expect(httpRouteWeights(documents)).toEqual({ v1: 50, v2: 30, v3: 15, v4: 5 });
  });

  it("rewrites the backends to one per version, keeping the rule's match and timeout and the port", () => {
    const [route] = withHttpRouteWeights(documents, { v1: 25, v4: 75 }).filter(
      (d) => d.object.kind === "HTTPRoute",
    );
    const [rule] = (route.object.spec as Editable).rules;
    expect(rule.backendRefs).toEqual([
      { name: "shopfront-v1", port: 80, weight: 25 },
      { name: "shopfront-v4", port: 80, weight: 75 },
    ]);
    expect(rule.timeouts).toEqual({ request: "4s" });
    expect(rule.matches).toEqual([{ path: { type: "PathPrefix", value: "/" } }]);
  });

  it("refuses to rewrite when there is no such route", () => {
    expect(() =>
      withHttpRouteWeights(documentsOf({ meshMode: "sidecar", routingApi: "istio" }), { v1: 100 }),
    ).toThrow("cannot set route weights: no HTTPRoute/shopfront with a rule that has backends");
  });
});

describe("TLS at the NLB for the Gateway API ingress (INGRESS_CERTIFICATE_ARN with ROUTING_API=gateway-api)", () => {
  const certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0f2a3b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b";
  const tls = { serviceType: "LoadBalancer" as const, sourceCidrs: [], certificateArn: certificate };
  const find = (documents: readonly ManifestDocument[], kind: string, name: string) =>
    documents.find((d) => d.object.kind === kind && d.object.metadata.name === name)?.object as Editable;

  it("moves only the Gateway's plain HTTP listeners on 80, and only egress to its pods on 80", () => {
    const documents = edited(
      "Gateway",
      "shopfront-gateway",
      (gateway) => {
        gateway.spec.listeners.push({ name: "tcp", port: 80, protocol: "TCP" });
        gateway.spec.listeners.push({ name: "admin", port: 8080, protocol: "HTTP" });
      },
      "istio-system",
    );
    const policy = find(documents, "NetworkPolicy", "generators-to-ingress-gateway");
    policy.spec.egress.push({
      to: [{ ipBlock: { cidr: "10.0.0.0/8" } }],
      ports: [{ protocol: "TCP", port: 80 }],
    });
    policy.spec.egress[0].ports.push({ protocol: "TCP", port: 15021 });
    const result = withGatewayApiIngress(documents, tls);
    expect(
      find(result, "Gateway", "shopfront-gateway").spec.listeners.map((l: Editable) => [l.name, l.port]),
    ).toEqual([
      ["http", 443],
      ["tcp", 80],
      ["admin", 8080],
    ]);
    expect(
      find(result, "NetworkPolicy", "generators-to-ingress-gateway").spec.egress.map(
        (r: Editable) => r.ports,
      ),
    ).toEqual([
      [
        { protocol: "TCP", port: 443 },
        { protocol: "TCP", port: 15021 },
      ],
      [{ protocol: "TCP", port: 80 }],
    ]);
    // The input is not changed.
    expect(find(documents, "Gateway", "shopfront-gateway").spec.listeners[0].port).toBe(80);
  });

  it("leaves listeners and policies alone without a certificate, or without a load balancer", () => {
    const documents = documentsOf(AMBIENT_GATEWAY_API);
    for (const settings of [
      { serviceType: "LoadBalancer" as const, sourceCidrs: [] },
      { serviceType: "NodePort" as const, sourceCidrs: [], certificateArn: certificate },
    ]) {
      const result = withGatewayApiIngress(documents, settings);
      expect(find(result, "Gateway", "shopfront-gateway").spec.listeners[0].port).toBe(80);
      expect(find(result, "NetworkPolicy", "generators-to-ingress-gateway")).toEqual(
        find(documents, "NetworkPolicy", "generators-to-ingress-gateway"),
      );
    }
  });

  it("passes every check once the generators' host follows the Service's port 443", () => {
    const result = withTlsIngressHost(withGatewayApiIngress(documentsOf(AMBIENT_GATEWAY_API), tls));
    expect(check(result).filter((f) => f.severity === "error")).toEqual([]);
  });
});

describe("checks of the Gateway API and ambient mode", () => {
  it("catches HTTPRoute weights that do not add up to 100", () => {
    const documents = edited("HTTPRoute", "shopfront", (route) => {
      route.spec.rules[0].backendRefs[3].weight = 15;
    });
    expect(check(documents)).toEqual([
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.rules[0].backendRefs",
        /^weights add up to 110, they must add up to 100 \(got shopfront-v1=50, shopfront-v2=30, shopfront-v3=15, shopfront-v4=15\)$/,
      ),
    ]);
  });

  it("catches a parentRef to a Gateway that does not exist", () => {
    const documents = edited("HTTPRoute", "shopfront", (route) => {
      route.spec.parentRefs[0].name = "other-gateway";
    });
    expect(check(documents)).toEqual([
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.parentRefs[0].name",
        /^Gateway\/other-gateway is not defined in namespace istio-system$/,
      ),
    ]);
  });

  it("catches a parentRef to a listener that does not exist", () => {
    const documents = edited("HTTPRoute", "shopfront", (route) => {
      route.spec.parentRefs[0].sectionName = "https";
    });
    expect(check(documents)).toEqual([
      error(ROUTES, "HTTPRoute/shopfront", "spec.parentRefs[0].sectionName", /has no listener named https$/),
    ]);
  });

  it("catches a Gateway that does not allow routes from the shopfront's namespace", () => {
    const documents = edited(
      "Gateway",
      "shopfront-gateway",
      (gateway) => {
        gateway.spec.listeners[0].allowedRoutes.namespaces = { from: "Same" };
      },
      "istio-system",
    );
    expect(check(documents)).toEqual([
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.parentRefs[0]",
        /do not allow routes from namespace miztiik-automation-ns/,
      ),
    ]);
  });

  it("catches a backend Service that does not exist, and one on a port it does not serve", () => {
    const documents = edited("HTTPRoute", "shopfront", (route) => {
      route.spec.rules[0].backendRefs[0].name = "shopfront-v9";
      route.spec.rules[0].backendRefs[1].port = 8080;
    });
    expect(check(documents)).toEqual([
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.rules[0].backendRefs[0].name",
        /^Service\/shopfront-v9 is not defined/,
      ),
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.rules[0].backendRefs[1].port",
        /^is 8080, but Service\/shopfront-v2 serves 80$/,
      ),
    ]);
  });

  it("catches a backend Service that selects no pods, and one that selects several versions", () => {
    const noPods = edited("Service", "shopfront-v3", (service) => {
      service.spec.selector.version = "v9";
    });
    expect(check(noPods)).toEqual([
      error(
        ROUTES,
        "Service/shopfront-v3",
        "spec.selector",
        /but no Deployment's pods in namespace miztiik-automation-ns/,
      ),
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.rules[0].backendRefs[2].name",
        /^Service\/shopfront-v3 selects the pods of no Deployment/,
      ),
    ]);
    const allVersions = edited("Service", "shopfront-v3", (service) => {
      delete service.spec.selector.version;
    });
    expect(check(allVersions)).toEqual([
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.rules[0].backendRefs[2].name",
        /^Service\/shopfront-v3 selects the pods of 4 versions \(v1, v2, v3, v4\): a weighted split needs one version per backend$/,
      ),
    ]);
  });

  it("catches a rule without a request timeout", () => {
    const documents = edited("HTTPRoute", "shopfront", (route) => {
      delete route.spec.rules[0].timeouts;
    });
    expect(check(documents)).toEqual([
      error(ROUTES, "HTTPRoute/shopfront", "spec.rules[0].timeouts.request", /^is missing/),
    ]);
  });

  it("catches a backend without the circuit breaker", () => {
    const documents = edited("DestinationRule", "shopfront-v4", (rule) => {
      delete rule.spec.trafficPolicy.outlierDetection;
    });
    expect(check(documents)).toEqual([
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.rules[0].backendRefs[3].name",
        /^Service\/shopfront-v4 has no DestinationRule with outlierDetection/,
      ),
    ]);
  });

  it("catches backend pods that no AuthorizationPolicy guards", () => {
    const documents = edited("AuthorizationPolicy", "shopfront-ingress-only", (policy) => {
      policy.spec.selector.matchLabels = { app: "shopfront", version: "v1" };
    });
    const findings = check(documents).filter((f) => f.resource === "HTTPRoute/shopfront");
    expect(findings).toEqual(
      ["v2", "v3", "v4"].map((version, index) =>
        error(
          ROUTES,
          "HTTPRoute/shopfront",
          `spec.rules[0].backendRefs[${index + 1}].name`,
          new RegExp(
            `no AuthorizationPolicy in namespace ${NAMESPACE} selects the pods of Deployment/shopfront-${version}`,
          ),
        ),
      ),
    );
  });

  it("catches a Gateway whose parameters ConfigMap does not exist, and a key istiod does not read", () => {
    const missing = edited(
      "Gateway",
      "shopfront-gateway",
      (gateway) => {
        gateway.spec.infrastructure.parametersRef.name = "nowhere";
      },
      "istio-system",
    );
    expect(check(missing)).toEqual([
      error(
        GATEWAY,
        "Gateway/shopfront-gateway",
        "spec.infrastructure.parametersRef.name",
        /^ConfigMap\/nowhere is not defined in namespace istio-system/,
      ),
    ]);
    const badKey = edited(
      "ConfigMap",
      "shopfront-gateway",
      (configMap) => {
        configMap.data = { services: "spec: {}\n" };
      },
      "istio-system",
    );
    expect(check(badKey)).toEqual([
      error(GATEWAY, "ConfigMap/shopfront-gateway", "data.services", /^is not a key istiod reads/),
    ]);
  });

  it("catches the sidecar-injection label beside the ambient label", () => {
    const documents = edited("Namespace", NAMESPACE, (namespace) => {
      namespace.metadata.labels["istio-injection"] = "enabled";
    });
    expect(check(documents)).toEqual([
      error(
        AMBIENT_NAMESPACE,
        `Namespace/${NAMESPACE}`,
        "metadata.labels.istio-injection",
        /beside istio.io\/dataplane-mode: ambient: .* takes precedence over ztunnel/,
      ),
    ]);
  });

  it("catches a namespace that uses a waypoint that does not exist", () => {
    const documents = structuredClone(documentsOf(AMBIENT_GATEWAY_API)).filter(
      (d) => !(d.object.kind === "Gateway" && d.object.metadata.name === "waypoint"),
    );
    expect(check(documents)).toEqual([
      error(
        AMBIENT_NAMESPACE,
        `Namespace/${NAMESPACE}`,
        'metadata.labels["istio.io/use-waypoint"]',
        /no Gateway of class istio-waypoint named waypoint/,
      ),
    ]);
  });

  it("catches L7 authorization in an ambient namespace that ztunnel would have to enforce", () => {
    const documents = edited("AuthorizationPolicy", "shopfront-ingress-only", (policy) => {
      policy.spec.rules[0].to = [{ operation: { methods: ["GET"] } }];
    });
    expect(check(documents)).toEqual([
      error(
        "manifests/routing-gateway-api/shopfront-ingress.yaml",
        "AuthorizationPolicy/shopfront-ingress-only",
        "spec.rules",
        /has L7 rules in ambient namespace .* attach the policy to the waypoint with targetRefs/,
      ),
    ]);
  });

  it("catches in-mesh routing in an ambient namespace with no waypoint to apply it", () => {
    const documents = edited("Namespace", NAMESPACE, (namespace) => {
      delete namespace.metadata.labels["istio.io/use-waypoint"];
    });
    documents.push({
      file: "extra.yaml",
      index: 0,
      object: {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "east-west", namespace: NAMESPACE },
        spec: {
          hosts: ["shopfront-svc"],
          http: [
            {
              timeout: "4s",
              retries: { attempts: 2, perTryTimeout: "1s", retryOn: "connect-failure" },
              route: [{ destination: { host: "shopfront-v1" } }],
            },
          ],
        },
      },
    });
    expect(check(documents).filter((f) => f.resource === "VirtualService/east-west")).toEqual([
      error(
        "extra.yaml",
        "VirtualService/east-west",
        "spec.gateways",
        /only a waypoint applies: label the namespace or its Services istio.io\/use-waypoint/,
      ),
    ]);
  });
});

describe("the data planes' namespaces", () => {
  const namespaceOf = (meshMode: "sidecar" | "ambient") => {
    const [document] = documentsOf({ meshMode, routingApi: "istio" });
    expect(document.object.kind).toBe("Namespace");
    return document.object.metadata;
  };

  it("are the same namespace with the same Pod Security labels, and differ only in the enrolment labels", () => {
    const sidecar = namespaceOf("sidecar");
    const ambient = namespaceOf("ambient");
    expect(ambient.name).toBe(sidecar.name);
    const { "istio-injection": injection, ...shared } = sidecar.labels ?? {};
    const {
      "istio.io/dataplane-mode": dataplaneMode,
      "istio.io/use-waypoint": waypoint,
      ...ambientShared
    } = ambient.labels ?? {};
    expect([injection, dataplaneMode, waypoint]).toEqual(["enabled", "ambient", "waypoint"]);
    expect(ambientShared).toEqual(shared);
    expect(Object.keys(shared)).toContain("pod-security.kubernetes.io/enforce");
  });
});
