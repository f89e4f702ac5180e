import { checkManifests } from "../../../modules/manifests/checks";
import type { ManifestDocument } from "../../../modules/manifests/model";
import type { MeshVariant } from "../../../modules/mesh/mesh-variant";
import { withGatewayApiIngress, withTlsIngressHost } from "../../../modules/shopfront/ingress";
import { ingressPrincipal } from "../../../modules/shopfront/variants";
import { type Editable, editedCopy, variantManifests } from "../../manifest-documents";

const AMBIENT_GATEWAY_API: MeshVariant = { meshMode: "ambient", routingApi: "gateway-api" };

function documentsOf(variant: MeshVariant): ManifestDocument[] {
  const parsed = variantManifests(variant);
  expect(parsed.findings).toEqual([]);
  return parsed.documents;
}

/** The ambient x gateway-api manifests, deep-copied, after `edit` changed the object `kind`/`name`. */
function edited(kind: string, name: string, edit: (object: Editable) => void, namespace: string) {
  return editedCopy(documentsOf(AMBIENT_GATEWAY_API), (objectOf) => edit(objectOf(kind, name, namespace)));
}

const check = (documents: readonly ManifestDocument[]) =>
  checkManifests(documents, { ingressGatewayPrincipal: ingressPrincipal("gateway-api") });

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
