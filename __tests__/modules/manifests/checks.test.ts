import { checkManifests } from "../../../modules/manifests/checks";
import {
  type ManifestDocument,
  SHOPFRONT_VIRTUAL_SERVICE,
  withRouteWeights,
} from "../../../modules/manifests/model";
import type { MeshVariant } from "../../../modules/mesh/mesh-variant";
import { ingressPrincipal } from "../../../modules/shopfront/variants";
import {
  type Editable,
  editedCopy,
  error,
  isObject,
  type ObjectOf,
  variantManifests,
} from "../../manifest-documents";

const APP = "manifests/shopfront.yaml";
const MESH = "manifests/routing-istio/shopfront-mesh.yaml";
const SECURITY = "manifests/shopfront-security.yaml";
const MESH_SECURITY = "manifests/mesh/mesh-security.yaml";
const INGRESS = "manifests/routing-istio/shopfront-ingress.yaml";
const NAMESPACE_FILE = "manifests/sidecar/namespace.yaml";
const GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway";

const NAMESPACE = "miztiik-automation-ns";

const parsed = variantManifests();

/** The real manifests, deep-copied, after `edit` changed their parsed objects. */
const manifestsWith = (edit: (objectOf: ObjectOf) => void) => editedCopy(parsed.documents, edit);

/** The real manifests, deep-copied, without the object `kind`/`name` of the shopfront's namespace. */
function manifestsWithout(kind: string, name: string) {
  const documents = parsed.documents.filter((d) => !isObject(d, kind, name));
  if (documents.length !== parsed.documents.length - 1) throw new Error(`no ${kind}/${name} in manifests/`);
  return structuredClone(documents);
}

describe("checkManifests", () => {
  it("finds nothing wrong with the real manifests", () => {
    expect(parsed.documents.map((d) => `${d.file}: ${d.object.kind}/${d.object.metadata.name}`)).toHaveLength(
      23,
    );
    expect(parsed.findings).toEqual([]);
    expect(checkManifests(parsed.documents)).toEqual([]);
  });

  it("finds nothing wrong with the manifests after a canary shift of the weights", () => {
    const shifted = withRouteWeights(
      parsed.documents,
      { v1: 0, v2: 0, v3: 10, v4: 90 },
      SHOPFRONT_VIRTUAL_SERVICE,
    );
    expect(checkManifests(shifted)).toEqual([]);
  });

  describe("schemas (kubernetes-models, @kubernetes-models/istio), through checkManifests", () => {
    it("catches a value of the wrong type", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("Deployment", "shopfront-v1").spec.replicas = "three";
      });
      expect(checkManifests(documents)).toEqual([
        error(APP, "Deployment/shopfront-v1", "spec.replicas", /^must be integer \(got "three"\)$/),
      ]);
    });

    it("catches a missing required field", () => {
      const documents = manifestsWith((objectOf) => {
        delete objectOf("Deployment", "shopfront-v4").spec.selector;
      });
      expect(checkManifests(documents)).toEqual([
        error(APP, "Deployment/shopfront-v4", "spec.selector", /^is required$/),
      ]);
    });

    it("catches a value outside an Istio enum", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("DestinationRule", "shopfront-svc").spec.trafficPolicy.loadBalancer.simple =
          "ROUND_ROBIN_PLEASE";
      });
      expect(checkManifests(documents)).toEqual([
        error(
          MESH,
          "DestinationRule/shopfront-svc",
          "spec.trafficPolicy.loadBalancer.simple",
          /^must be one of .*ROUND_ROBIN.* \(got "ROUND_ROBIN_PLEASE"\)$/,
        ),
      ]);
    });

    it.each([
      [
        "PeerAuthentication",
        "default",
        (object: Editable) => {
          object.spec.mtls.mode = "STRICTLY";
        },
        SECURITY,
        "spec.mtls.mode",
        /^must be one of UNSET, DISABLE, PERMISSIVE, STRICT \(got "STRICTLY"\)$/,
      ],
      [
        "AuthorizationPolicy",
        "shopfront-ingress-only",
        (object: Editable) => {
          object.spec.action = "PERMIT";
        },
        INGRESS,
        "spec.action",
        /^must be one of ALLOW, DENY, AUDIT, CUSTOM \(got "PERMIT"\)$/,
      ],
      [
        "PodDisruptionBudget",
        "shopfront-v1",
        (object: Editable) => {
          object.spec.unhealthyPodEvictionPolicy = "Always";
        },
        APP,
        "spec.unhealthyPodEvictionPolicy",
        /^must be one of AlwaysAllow, IfHealthyBudget \(got "Always"\)$/,
      ],
    ])("validates %s objects against their schema", (kind, name, edit, file, field, message) => {
      const documents = manifestsWith((objectOf) => edit(objectOf(kind, name)));
      expect(checkManifests(documents)).toEqual([error(file, `${kind}/${name}`, field, message)]);
    });

    it("checks an API version it has no schema for as far as it can, rather than refusing it", () => {
      const documents = manifestsWith((objectOf) => {
        (objectOf("Gateway", "shopfront-gateway") as { apiVersion: string }).apiVersion =
          "networking.istio.io/v2";
      });
      expect(checkManifests(documents)).toEqual([]);
    });

    it("catches a name the API server would refuse", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("Deployment", "shopfront-v2").metadata.name = "Shopfront_v2";
      });
      expect(checkManifests(documents)).toContainEqual(
        error(APP, "Deployment/Shopfront_v2", "metadata.name", /^"Shopfront_v2" is not a DNS subdomain/),
      );
    });

    it("catches an object defined twice", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("Deployment", "shopfront-v2").metadata.name = "shopfront-v1";
      });
      expect(checkManifests(documents)).toEqual([
        error(
          APP,
          "Deployment/shopfront-v1",
          "metadata.name",
          /^Deployment\/shopfront-v1 is already defined in namespace miztiik-automation-ns by manifests\/shopfront\.yaml \(document 2\)$/,
        ),
      ]);
    });
  });

  describe("cross-resource rules", () => {
    it("catches route weights that do not add up to 100, saying the sum", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("VirtualService", "shopfront-virtual-service").spec.http[0].route[3].weight = 15;
      });
      expect(checkManifests(documents)).toEqual([
        error(
          MESH,
          "VirtualService/shopfront-virtual-service",
          "spec.http[0].route",
          /^weights add up to 110, they must add up to 100 \(got v1=50, v2=30, v3=15, v4=15\)$/,
        ),
      ]);
    });

    it("catches a route to a subset that no DestinationRule for the host defines", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("VirtualService", "shopfront-virtual-service").spec.http[0].route[3].destination.subset =
          "v5";
      });
      expect(checkManifests(documents)).toEqual([
        error(
          MESH,
          "VirtualService/shopfront-virtual-service",
          "spec.http[0].route[3].destination.subset",
          /^subset v5 is not defined: DestinationRule\/shopfront-svc defines v1, v2, v3, v4$/,
        ),
      ]);
    });

    it("catches a route to a host that is not a Service", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("VirtualService", "shopfront-virtual-service").spec.http[0].route[0].destination.host =
          "shopfront";
      });
      expect(checkManifests(documents)).toEqual([
        error(
          MESH,
          "VirtualService/shopfront-virtual-service",
          "spec.http[0].route[0].destination.host",
          /^host shopfront \(shopfront\.miztiik-automation-ns\.svc\.cluster\.local\) is not a Service/,
        ),
      ]);
    });

    it("catches a DestinationRule for a host that is not a Service", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("DestinationRule", "shopfront-svc").spec.host = "shopfront-svc.default.svc.cluster.local";
      });
      expect(checkManifests(documents)).toContainEqual(
        error(MESH, "DestinationRule/shopfront-svc", "spec.host", /is not a Service in the manifests$/),
      );
    });

    it("catches a subset whose labels select no Deployment's pods", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("DestinationRule", "shopfront-svc").spec.subsets[3].labels.version = "4";
      });
      expect(checkManifests(documents)).toEqual([
        error(
          MESH,
          "DestinationRule/shopfront-svc",
          "spec.subsets[3].labels",
          /^subset v4 selects version=4, but no pods of Service\/shopfront-svc carry these labels$/,
        ),
      ]);
    });

    it("catches a Service whose selector matches no pods", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("Service", "shopfront-svc").spec.selector = { app: "shop-front" };
      });
      expect(checkManifests(documents)).toEqual([
        error(
          APP,
          "Service/shopfront-svc",
          "spec.selector",
          /^selects app=shop-front, but no Deployment's pods/,
        ),
      ]);
    });

    it.each([
      [
        "a port name",
        "web",
        /^"web" is not a port of the pods that the Service selects: their named ports are http$/,
      ],
      ["a port number", 80, /^80 is not a port of the pods .*: their container ports are 8080$/],
    ])("catches a Service targetPort that is not %s of its pods", (_, targetPort, message) => {
      const documents = manifestsWith((objectOf) => {
        objectOf("Service", "shopfront-svc").spec.ports[0].targetPort = targetPort;
      });
      expect(checkManifests(documents)).toEqual([
        error(APP, "Service/shopfront-svc", "spec.ports[0].targetPort", message),
      ]);
    });

    it("catches a Gateway whose selector misses the ingress gateway that istio-stack deploys", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("Gateway", "shopfront-gateway").spec.selector = { istio: "ingress" };
      });
      expect(checkManifests(documents)).toEqual([
        error(
          MESH,
          "Gateway/shopfront-gateway",
          "spec.selector.istio",
          /^selects istio=ingress, but the ingress gateway pods .* are labelled app=istio-ingressgateway, istio=ingressgateway$/,
        ),
      ]);
      expect(checkManifests(documents, { ingressGatewayLabels: { istio: "ingress" } })).toEqual([]);
    });

    it("catches a VirtualService bound to a Gateway that does not exist", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("VirtualService", "shopfront-virtual-service").spec.gateways = [
          "mesh",
          "istio-system/shopfront-gateway",
        ];
      });
      expect(checkManifests(documents)).toEqual([
        error(
          MESH,
          "VirtualService/shopfront-virtual-service",
          "spec.gateways[1]",
          /^Gateway istio-system\/shopfront-gateway is not defined in the manifests \(defined: miztiik-automation-ns\/shopfront-gateway\)$/,
        ),
      ]);
    });

    it("catches a namespace without sidecar injection", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("Namespace", "miztiik-automation-ns").metadata.labels = {};
      });
      expect(checkManifests(documents)).toEqual([
        error(
          NAMESPACE_FILE,
          "Namespace/miztiik-automation-ns",
          "metadata.labels.istio-injection",
          /^is null: the pods of Deployment\/shopfront-v1, .*Deployment\/shopfront-v4 would run outside the mesh/,
        ),
      ]);
    });

    it("catches workloads in a namespace the manifests do not define, so nothing labels it for injection", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("Deployment", "shopfront-v3").metadata.namespace = "default";
      });
      expect(checkManifests(documents)).toContainEqual(
        error(
          APP,
          "Deployment/shopfront-v3",
          "metadata.namespace",
          /^namespace default is not defined in the manifests/,
        ),
      );
    });

    it("does not ask for injection where the only pods opt out of the sidecar (the generators)", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("Deployment", "load-generator").metadata.namespace = "default";
        objectOf("Deployment", "error-generator").metadata.namespace = "default";
      });
      expect(checkManifests(documents)).toEqual([]);
    });

    it("catches a Deployment whose selector does not select its own pods", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("Deployment", "shopfront-v2").spec.selector.matchLabels.version = "v1";
      });
      expect(checkManifests(documents)).toEqual([
        error(
          APP,
          "Deployment/shopfront-v2",
          "spec.selector.matchLabels",
          /^selects app=shopfront, version=v1, but the pod template is labelled app=shopfront, version=v2$/,
        ),
      ]);
    });

    it("warns about mesh pods without the app and version labels that telemetry and Kiali use", () => {
      const documents = manifestsWith((objectOf) => {
        delete objectOf("Deployment", "load-generator").spec.template.metadata.labels[
          "sidecar.istio.io/inject"
        ];
      });
      expect(checkManifests(documents)).toEqual([
        {
          severity: "warning",
          file: "manifests/generators.yaml",
          resource: "Deployment/load-generator",
          field: "spec.template.metadata.labels",
          message: expect.stringMatching(/^has no version label/),
        },
      ]);
    });
  });

  describe("security and resilience rules", () => {
    const VIRTUAL_SERVICE = "VirtualService/shopfront-virtual-service";
    /** A broken route: what the case is, how the route is edited, the field and message expected. */
    type RouteCase = [string, (rule: Editable) => void, string, RegExp];

    it("catches a shopfront namespace without a STRICT PeerAuthentication of its own", () => {
      expect(checkManifests(manifestsWithout("PeerAuthentication", "default"))).toEqual([
        error(
          NAMESPACE_FILE,
          `Namespace/${NAMESPACE}`,
          "metadata.name",
          /^no namespace-wide PeerAuthentication \(one without a selector\) in namespace miztiik-automation-ns: add one with mtls\.mode STRICT/,
        ),
      ]);
    });

    it.each([
      ["the shopfront namespace's", NAMESPACE, "PERMISSIVE", SECURITY],
      ["the mesh-wide", "istio-system", "DISABLE", MESH_SECURITY],
    ])("catches %s PeerAuthentication when it is not STRICT", (_, namespace, mode, file) => {
      const documents = manifestsWith((objectOf) => {
        objectOf("PeerAuthentication", "default", namespace).spec.mtls.mode = mode;
      });
      expect(checkManifests(documents)).toEqual([
        error(
          file,
          "PeerAuthentication/default",
          "spec.mtls.mode",
          new RegExp(`^is "${mode}", it must be STRICT: PERMISSIVE and DISABLE accept plaintext`),
        ),
      ]);
    });

    it("catches a port let out of STRICT mutual TLS", () => {
      const documents = manifestsWith(() => {});
      documents.push({
        file: SECURITY,
        index: 3,
        object: {
          apiVersion: "security.istio.io/v1",
          kind: "PeerAuthentication",
          metadata: { name: "shopfront-http", namespace: NAMESPACE },
          spec: {
            selector: { matchLabels: { app: "shopfront" } },
            mtls: { mode: "STRICT" },
            portLevelMtls: { 80: { mode: "PERMISSIVE" } },
          },
        },
      });
      expect(checkManifests(documents)).toEqual([
        error(
          SECURITY,
          "PeerAuthentication/shopfront-http",
          'spec.portLevelMtls["80"].mode',
          /^is "PERMISSIVE", it must be STRICT/,
        ),
      ]);
    });

    it("catches a mesh Deployment that turns off Istio's probe rewrite, whose probes STRICT would refuse", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("Deployment", "shopfront-v3").spec.template.metadata.annotations = {
          "sidecar.istio.io/rewriteAppHTTPProbers": "false",
        };
      });
      expect(checkManifests(documents)).toEqual([
        error(
          APP,
          "Deployment/shopfront-v3",
          'spec.template.metadata.annotations["sidecar.istio.io/rewriteAppHTTPProbers"]',
          /^is "false": with mutual TLS STRICT the sidecar refuses the kubelet's plaintext HTTP probes/,
        ),
      ]);
    });

    it.each([
      [
        "an action other than ALLOW",
        (policy: Editable) => {
          policy.spec.action = "DENY";
        },
        "spec.action",
        /^is DENY, it must be ALLOW/,
      ],
      [
        "no rules, which denies the ingress gateway too",
        (policy: Editable) => {
          policy.spec.rules = [];
        },
        "spec.rules",
        /^is empty: an ALLOW policy without rules denies every request/,
      ],
      [
        "a rule without from, which admits any caller",
        (policy: Editable) => {
          policy.spec.rules = [{ to: [{ operation: { methods: ["GET"] } }] }];
        },
        "spec.rules[0].from",
        /^is missing: the rule admits any caller/,
      ],
      [
        "a source without principals",
        (policy: Editable) => {
          policy.spec.rules[0].from = [{ source: { namespaces: ["istio-system"] } }];
        },
        "spec.rules[0].from[0].source.principals",
        /^is missing: the rule admits callers whatever their identity/,
      ],
      [
        "another principal",
        (policy: Editable) => {
          policy.spec.rules[0].from[0].source.principals.push("cluster.local/ns/default/sa/default");
        },
        "spec.rules[0].from[0].source.principals",
        /^admits cluster\.local\/ns\/default\/sa\/default: admit only the ingress gateway, from\.source\.principals \[cluster\.local\/ns\/istio-system\/sa\/istio-ingressgateway\]$/,
      ],
      [
        "a second rule admitting every workload of a namespace",
        (policy: Editable) => {
          policy.spec.rules.push({ from: [{ source: { principals: ["cluster.local/ns/default/sa/*"] } }] });
        },
        "spec.rules[1].from[0].source.principals",
        /^admits cluster\.local\/ns\/default\/sa\/\*: admit only the ingress gateway/,
      ],
    ])("catches an AuthorizationPolicy with %s", (_, edit, field, message) => {
      const documents = manifestsWith((objectOf) =>
        edit(objectOf("AuthorizationPolicy", "shopfront-ingress-only")),
      );
      expect(checkManifests(documents)).toEqual([
        error(INGRESS, "AuthorizationPolicy/shopfront-ingress-only", field, message),
      ]);
    });

    it.each([
      ["no AuthorizationPolicy", () => manifestsWithout("AuthorizationPolicy", "shopfront-ingress-only")],
      [
        "an AuthorizationPolicy that selects other pods",
        () =>
          manifestsWith((objectOf) => {
            objectOf("AuthorizationPolicy", "shopfront-ingress-only").spec.selector.matchLabels.app =
              "shop-front";
          }),
      ],
    ])("catches shopfront pods that the ingress gateway reaches with %s guarding them", (_, documents) => {
      expect(checkManifests(documents())).toEqual([
        error(
          APP,
          "Service/shopfront-svc",
          "spec.selector",
          /^the ingress gateway routes here \(VirtualService\/shopfront-virtual-service\), but no AuthorizationPolicy in namespace miztiik-automation-ns selects the pods of Deployment\/shopfront-v1, Deployment\/shopfront-v2, Deployment\/shopfront-v3, Deployment\/shopfront-v4, so any workload in the mesh may call them/,
        ),
      ]);
    });

    it("takes the ingress gateway's principal from its options", () => {
      const principal = "example.org/ns/gateways/sa/ingress";
      expect(checkManifests(parsed.documents, { ingressGatewayPrincipal: principal })).toEqual([
        error(
          INGRESS,
          "AuthorizationPolicy/shopfront-ingress-only",
          "spec.rules[0].from[0].source.principals",
          new RegExp(`^admits ${GATEWAY_PRINCIPAL.replace(/[./]/g, "\\$&")}: admit only the ingress gateway`),
        ),
      ]);
    });

    it.each<RouteCase>([
      [
        "no timeout",
        (rule: Editable) => {
          delete rule.timeout;
        },
        "spec.http[0].timeout",
        /^is missing: Istio sets no route timeout/,
      ],
      [
        "no retries, so Istio's, which retry 503s",
        (rule: Editable) => {
          delete rule.retries;
        },
        "spec.http[0].retries",
        /^is missing: Istio then retries twice, on 503s too/,
      ],
      [
        "more than 3 retries",
        (rule: Editable) => {
          rule.retries.attempts = 5;
          // Six tries of 1 s fit: the retries rule alone speaks.
          rule.timeout = "6s";
        },
        "spec.http[0].retries.attempts",
        /^is 5, it must be at most 3/,
      ],
      [
        "retries without retryOn, so Istio's conditions, which include 503",
        (rule: Editable) => {
          delete rule.retries.retryOn;
        },
        "spec.http[0].retries.retryOn",
        /^is missing: Istio then retries 503s too/,
      ],
      ...["5xx", "gateway-error", "retriable-status-codes", "404"].map(
        (condition): RouteCase => [
          `retries on ${condition}`,
          (rule: Editable) => {
            rule.retries.retryOn = `connect-failure,${condition}`;
          },
          "spec.http[0].retries.retryOn",
          new RegExp(`^retries on ${condition}: retrying responses hides a version's errors`),
        ],
      ),
    ])("catches a route with %s", (_, edit, field, message) => {
      const documents = manifestsWith((objectOf) => {
        edit(objectOf("VirtualService", "shopfront-virtual-service").spec.http[0]);
      });
      expect(checkManifests(documents)).toEqual([error(MESH, VIRTUAL_SERVICE, field, message)]);
    });

    it("accepts retries turned off, whatever their conditions", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("VirtualService", "shopfront-virtual-service").spec.http[0].retries = {
          attempts: 0,
          retryOn: "5xx",
        };
      });
      expect(checkManifests(documents)).toEqual([]);
    });

    it.each([
      [
        "connectionPool",
        /^is missing, and routes reach subsets v1, v2, v3, v4 of shopfront-svc: nothing bounds the connections/,
      ],
      [
        "outlierDetection",
        /^is missing, and routes reach subsets v1, v2, v3, v4 of shopfront-svc: a pod that keeps failing/,
      ],
    ])("catches a routed DestinationRule without %s", (field, message) => {
      const documents = manifestsWith((objectOf) => {
        delete objectOf("DestinationRule", "shopfront-svc").spec.trafficPolicy[field];
      });
      expect(checkManifests(documents)).toEqual([
        error(MESH, "DestinationRule/shopfront-svc", `spec.trafficPolicy.${field}`, message),
      ]);
    });

    it("accepts a circuit breaker set on each routed subset instead, and names the subsets left without", () => {
      const documents = manifestsWith((objectOf) => {
        const { spec } = objectOf("DestinationRule", "shopfront-svc");
        const { connectionPool, outlierDetection } = spec.trafficPolicy;
        delete spec.trafficPolicy.connectionPool;
        delete spec.trafficPolicy.outlierDetection;
        for (const subset of spec.subsets.slice(0, 3))
          subset.trafficPolicy = { connectionPool, outlierDetection };
      });
      expect(checkManifests(documents)).toEqual([
        error(
          MESH,
          "DestinationRule/shopfront-svc",
          "spec.trafficPolicy.connectionPool",
          /^is missing, and routes reach subset v4 of shopfront-svc/,
        ),
        error(
          MESH,
          "DestinationRule/shopfront-svc",
          "spec.trafficPolicy.outlierDetection",
          /^is missing, and routes reach subset v4 of shopfront-svc/,
        ),
      ]);
    });

    it("catches a Deployment of several pods without a disruption budget", () => {
      expect(checkManifests(manifestsWithout("PodDisruptionBudget", "shopfront-v2"))).toEqual([
        error(
          APP,
          "Deployment/shopfront-v2",
          "spec.replicas",
          /^is 2, but no PodDisruptionBudget selects these pods: a node drain may evict them all at once/,
        ),
      ]);
    });

    it("catches a disruption budget that selects no pods", () => {
      const documents = manifestsWith((objectOf) => {
        objectOf("PodDisruptionBudget", "shopfront-v1").spec.selector.matchLabels.version = "1";
      });
      expect(checkManifests(documents)).toEqual([
        error(
          APP,
          "PodDisruptionBudget/shopfront-v1",
          "spec.selector",
          /^selects app=shopfront, version=1, but no Deployment's pods in namespace miztiik-automation-ns carry these labels: the budget protects nothing$/,
        ),
        error(
          APP,
          "Deployment/shopfront-v1",
          "spec.replicas",
          /^is 3, but no PodDisruptionBudget selects these pods/,
        ),
      ]);
    });

    it.each([
      [{ maxUnavailable: 0 }, "spec.maxUnavailable", "0"],
      [{ maxUnavailable: "0%" }, "spec.maxUnavailable", '"0%"'],
      [{ minAvailable: 3 }, "spec.minAvailable", "3"],
      [{ minAvailable: "100%" }, "spec.minAvailable", '"100%"'],
    ])("catches a disruption budget that lets no pod be evicted: %j", (budget, field, value) => {
      const documents = manifestsWith((objectOf) => {
        const { spec } = objectOf("PodDisruptionBudget", "shopfront-v1");
        delete spec.maxUnavailable;
        Object.assign(spec, budget);
      });
      expect(checkManifests(documents)).toEqual([
        error(
          APP,
          "PodDisruptionBudget/shopfront-v1",
          field,
          new RegExp(
            `^is ${value} for the 3 pods of Deployment/shopfront-v1: no pod may ever be evicted, so every drain of their nodes blocks`,
          ),
        ),
      ]);
    });
  });
});

describe("checkManifests on the Gateway API and ambient mode (rules/mesh-variants.ts)", () => {
  const AMBIENT_GATEWAY_API: MeshVariant = { meshMode: "ambient", routingApi: "gateway-api" };
  const ROUTES = "manifests/routing-gateway-api/shopfront-routes.yaml";
  const GATEWAY = "manifests/mesh/routing-gateway-api/shopfront-gateway.yaml";
  const AMBIENT_NAMESPACE = "manifests/ambient/namespace.yaml";
  const ambientGatewayApi = variantManifests(AMBIENT_GATEWAY_API);

  /** The ambient x gateway-api manifests, deep-copied, after `edit` changed the object `kind`/`name`. */
  const edited = (kind: string, name: string, edit: (object: Editable) => void, namespace = NAMESPACE) =>
    editedCopy(ambientGatewayApi.documents, (objectOf) => edit(objectOf(kind, name, namespace)));
  const check = (documents: readonly ManifestDocument[]) =>
    checkManifests(documents, { ingressGatewayPrincipal: ingressPrincipal("gateway-api") });

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
    const documents = structuredClone(ambientGatewayApi.documents).filter(
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
