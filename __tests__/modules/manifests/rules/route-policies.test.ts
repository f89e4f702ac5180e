import { checkManifests } from "../../../../modules/manifests/checks";
import { goDurationMs } from "../../../../modules/manifests/rules/route-policies";
import { ingressPrincipal } from "../../../../modules/shopfront/variants";
import {
  type Editable,
  editedCopy,
  error,
  type ObjectOf,
  variantManifests,
} from "../../../manifest-documents";

const MESH = "manifests/routing-istio/shopfront-mesh.yaml";
const ROUTES = "manifests/routing-gateway-api/shopfront-routes.yaml";
const VIRTUAL_SERVICE = "VirtualService/shopfront-virtual-service";

const istio = variantManifests();
const gatewayApi = variantManifests({ meshMode: "sidecar", routingApi: "gateway-api" });

/** The walkthrough's manifests with the VirtualService's rule edited, checked. */
function checkedRule(edit: (rule: Editable) => void) {
  return checkManifests(
    editedCopy(istio.documents, (objectOf: ObjectOf) =>
      edit(objectOf("VirtualService", "shopfront-virtual-service").spec.http[0]),
    ),
  );
}

/** The rule edited to carry a fault, as SHOPFRONT_FAULT_ABORT writes it. */
function withFault(rule: Editable) {
  delete rule.timeout;
  rule.retries = { attempts: 0 };
  rule.fault = { abort: { httpStatus: 503, percentage: { value: 5 } } };
}

describe("faults on a VirtualService", () => {
  it("a fault without a timeout and with retries off passes, though the route then has no timeout", () => {
    expect(checkedRule(withFault)).toEqual([]);
  });

  it("refuses a fault beside the route's timeout", () => {
    expect(
      checkedRule((rule) => {
        withFault(rule);
        rule.timeout = "4s";
      }),
    ).toEqual([
      error(
        MESH,
        VIRTUAL_SERVICE,
        "spec.http[0].timeout",
        /^is set on a route with a fault: Istio enables no timeout or retries on a route with faults/,
      ),
    ]);
  });

  it("refuses a fault beside retries", () => {
    expect(
      checkedRule((rule) => {
        withFault(rule);
        rule.retries = { attempts: 2, retryOn: "connect-failure" };
      }),
    ).toEqual([
      error(
        MESH,
        VIRTUAL_SERVICE,
        "spec.http[0].retries.attempts",
        /^is 2 on a route with a fault: .*set attempts: 0 while the fault is on$/,
      ),
    ]);
  });

  it("refuses a share over 100, warns of one of 0", () => {
    const findings = checkedRule((rule) => {
      withFault(rule);
      rule.fault.abort.percentage.value = 150;
      rule.fault.delay = { fixedDelay: "1s", percentage: { value: 0 } };
    });
    expect(findings).toEqual([
      expect.objectContaining({
        severity: "warning",
        field: "spec.http[0].fault.delay.percentage.value",
        message: expect.stringMatching(/^is 0: a delay of 0% does nothing/),
      }),
      error(
        MESH,
        VIRTUAL_SERVICE,
        "spec.http[0].fault.abort.percentage.value",
        /^is 150: an abort cannot exceed 100% of requests$/,
      ),
    ]);
  });

  it("refuses a fault with neither a delay nor an abort", () => {
    expect(
      checkedRule((rule) => {
        withFault(rule);
        rule.fault = {};
      }),
    ).toEqual([error(MESH, VIRTUAL_SERVICE, "spec.http[0].fault", /^sets neither a delay nor an abort/)]);
  });

  it("warns of a fault on a route bound to no Gateway: ingress traffic never meets it", () => {
    const findings = checkManifests(
      editedCopy(istio.documents, (objectOf) => {
        const spec = objectOf("VirtualService", "shopfront-virtual-service").spec;
        spec.gateways = ["mesh"];
        withFault(spec.http[0]);
      }),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        severity: "warning",
        field: "spec.http[0].fault",
        message: expect.stringMatching(
          /^is on a route bound to no Gateway \(sidecars only\): ingress traffic never meets it/,
        ),
      }),
    ]);
  });
});

describe("mirrors on a VirtualService", () => {
  it("a mirror to a defined subset with its share passes", () => {
    expect(
      checkedRule((rule) => {
        rule.mirror = { host: "shopfront-svc", subset: "v4" };
        rule.mirrorPercentage = { value: 20 };
      }),
    ).toEqual([]);
  });

  it("refuses a mirror to a subset that does not exist", () => {
    expect(
      checkedRule((rule) => {
        rule.mirror = { host: "shopfront-svc", subset: "v5" };
        rule.mirrorPercentage = { value: 20 };
      }),
    ).toEqual([
      error(
        MESH,
        VIRTUAL_SERVICE,
        "spec.http[0].mirror.subset",
        /^subset v5 is not defined: DestinationRule\/shopfront-svc defines v1, v2, v3, v4; Envoy would mirror/,
      ),
    ]);
  });

  it("refuses a mirror to a host that is no Service", () => {
    expect(
      checkedRule((rule) => {
        rule.mirror = { host: "shadow", subset: "v4" };
        rule.mirrorPercentage = { value: 20 };
      }),
    ).toEqual([
      error(
        MESH,
        VIRTUAL_SERVICE,
        "spec.http[0].mirror.host",
        /^host shadow \(shadow\.miztiik-automation-ns\.svc\.cluster\.local\) is not a Service/,
      ),
    ]);
  });

  it("refuses a share over 100; warns of a mirror without one, which mirrors everything", () => {
    expect(
      checkedRule((rule) => {
        rule.mirror = { host: "shopfront-svc", subset: "v4" };
        rule.mirrorPercentage = { value: 100.5 };
      }),
    ).toEqual([
      error(
        MESH,
        VIRTUAL_SERVICE,
        "spec.http[0].mirrorPercentage.value",
        /^is 100.5: a mirror cannot exceed 100%/,
      ),
    ]);
    expect(checkedRule((rule) => (rule.mirror = { host: "shopfront-svc", subset: "v4" }))).toEqual([
      expect.objectContaining({
        severity: "warning",
        message: expect.stringMatching(/^has no mirrorPercentage, so Istio mirrors every request/),
      }),
    ]);
  });
});

describe("retries and the route's timeout", () => {
  it("warns when the tries cannot all fit in the timeout", () => {
    expect(checkedRule((rule) => (rule.retries.perTryTimeout = "1500ms"))).toEqual([
      expect.objectContaining({
        severity: "warning",
        field: "spec.http[0].retries.perTryTimeout",
        message: expect.stringMatching(
          /^is 1500ms for 3 tries, 4\.5 s, over the route's timeout 4s, which bounds them all/,
        ),
      }),
    ]);
  });

  it("reads Istio's durations as Go does", () => {
    expect(["1s", "500ms", "1.5s", "1m30s", "2h", "1x", "", "s"].map(goDurationMs)).toEqual([
      1000,
      500,
      1500,
      90_000,
      7_200_000,
      Number.NaN,
      Number.NaN,
      Number.NaN,
    ]);
  });
});

describe("HTTPRoutes, as the installed standard channel reads them", () => {
  const checkedRoute = (edit: (rule: Editable) => void) =>
    checkManifests(
      editedCopy(gatewayApi.documents, (objectOf) => edit(objectOf("HTTPRoute", "shopfront").spec.rules[0])),
      { ingressGatewayPrincipal: ingressPrincipal("gateway-api") },
    );

  it("refuses `retry`, which the model package has from the experimental channel", () => {
    expect(checkedRoute((rule) => (rule.retry = { attempts: 2 }))).toEqual([
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.rules[0].retry",
        /^is not in the Gateway API v1\.6\.1 standard channel that istio-stack installs \(HTTPRoute retries are standard from v1\.7\.0\): the API server would drop it/,
      ),
    ]);
  });

  it("refuses a backendRequest timeout longer than the request's (the CRD's CEL rule)", () => {
    expect(checkedRoute((rule) => (rule.timeouts = { request: "4s", backendRequest: "5s" }))).toEqual([
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.rules[0].timeouts.backendRequest",
        /^is 5s, longer than the request timeout 4s/,
      ),
    ]);
  });

  it("a RequestMirror to a version's Service passes; one to no Service, or over 100%, is refused", () => {
    const mirror = (requestMirror: Editable) => (rule: Editable) => {
      rule.filters = [{ type: "RequestMirror", requestMirror }];
    };
    expect(checkedRoute(mirror({ backendRef: { name: "shopfront-v4", port: 80 }, percent: 20 }))).toEqual([]);
    expect(checkedRoute(mirror({ backendRef: { name: "shopfront-v9", port: 80 }, percent: 20 }))).toEqual([
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.rules[0].filters[0].requestMirror.backendRef.name",
        /^Service miztiik-automation-ns\/shopfront-v9 is not in the manifests/,
      ),
    ]);
    expect(
      checkedRoute(
        mirror({
          backendRef: { name: "shopfront-v4", port: 80 },
          fraction: { numerator: 3, denominator: 2 },
        }),
      ),
    ).toEqual([
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.rules[0].filters[0].requestMirror.fraction",
        /^is 3\/2: a mirror cannot exceed 100%/,
      ),
    ]);
    expect(
      checkedRoute(
        mirror({ backendRef: { name: "shopfront-v4", port: 80 }, percent: 5, fraction: { numerator: 1 } }),
      ),
    ).toEqual([
      error(
        ROUTES,
        "HTTPRoute/shopfront",
        "spec.rules[0].filters[0].requestMirror",
        /^sets both percent and fraction/,
      ),
    ]);
  });

  it("the schema refuses a percent over 100", () => {
    const findings = checkedRoute((rule) => {
      rule.filters = [
        {
          type: "RequestMirror",
          requestMirror: { backendRef: { name: "shopfront-v4", port: 80 }, percent: 120 },
        },
      ];
    });
    expect(findings).toEqual([
      expect.objectContaining({ field: "spec.rules[0].filters[0].requestMirror.percent" }),
    ]);
  });
});
