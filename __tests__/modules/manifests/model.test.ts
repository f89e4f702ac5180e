import {
  loadManifests,
  type ManifestDocument,
  parseManifests,
  podsPerVersion,
  routeWeights,
  SHOPFRONT_VIRTUAL_SERVICE,
  withRouteWeights,
} from "../../../modules/manifests/model";
import { type Editable, error, variantManifests } from "../../manifest-documents";

const parsed = loadManifests("manifests");
/** The walkthrough's variant: the shared files, sidecar/ and routing-istio/. */
const walkthrough = variantManifests();

describe("the manifest model", () => {
  describe("loading", () => {
    it("loads every document of every .yaml file of the folder, named by path", () => {
      expect(parsed.findings).toEqual([]);
      // The folder's own files only: a variant's folders are added by shopfrontManifestPaths.
      expect([...new Set(parsed.documents.map((d) => d.file))]).toEqual([
        "manifests/generators.yaml",
        "manifests/shopfront-network-policy.yaml",
        "manifests/shopfront-security.yaml",
        "manifests/shopfront.yaml",
      ]);
    });

    it("reports YAML that does not parse, or is not a Kubernetes object, with its document and line", () => {
      const result = parseManifests([
        { path: "broken.yaml", text: "kind: Service\nmetadata: {name: a\n" },
        { path: "list.yaml", text: "---\n- just\n- a list\n" },
      ]);
      expect(result.documents).toEqual([]);
      expect(result.findings).toEqual([
        error("broken.yaml", "document 1", "line 3", /^not valid YAML: Flow map .* end with a }$/),
        error("list.yaml", "document 1", "", /^not a Kubernetes object/),
      ]);
    });

    it("reports a file that is not YAML at all in one short finding, not its whole text", () => {
      const text = `# A README\n\n${"Some prose: with a colon, and: another. ".repeat(20)}\n  - then: [a list\n`;
      const result = parseManifests([{ path: "README.md", text }]);
      expect(result.findings).toHaveLength(1);
      expect(result.findings[0].message).toMatch(/^not valid YAML: /);
      expect(result.findings[0].message.length).toBeLessThanOrEqual(140);
    });
  });

  describe("route weights", () => {
    it("reads the first HTTP route's weights of the shopfront VirtualService", () => {
      expect(routeWeights(walkthrough.documents)).toEqual({ v1: 50, v2: 30, v3: 15, v4: 5 });
    });

    it("gives a lone destination without a weight all the traffic, and none without the VirtualService", () => {
      const lone = withRouteWeights(walkthrough.documents, { v3: 100 }).map((d) =>
        d.object.kind === "VirtualService"
          ? {
              ...d,
              object: {
                ...d.object,
                spec: { http: [{ route: [{ destination: { host: "shopfront-svc", subset: "v3" } }] }] },
              },
            }
          : d,
      );
      expect(routeWeights(lone)).toEqual({ v3: 100 });
      expect(routeWeights(walkthrough.documents, "other")).toBeUndefined();
    });
  });

  describe("pods per version", () => {
    it("sums the Deployments' replicas by their pods' version label", () => {
      expect(podsPerVersion(walkthrough.documents)).toEqual({ v1: 3, v2: 2, v3: 1, v4: 1 });
    });
  });

  describe("withRouteWeights", () => {
    const routeOf = (documents: readonly ManifestDocument[]): Editable[] =>
      (documents.find((d) => d.object.kind === "VirtualService") as Editable).object.spec.http[0].route;

    it("replaces the route with one destination per weight, keeping the host", () => {
      const shifted = withRouteWeights(
        walkthrough.documents,
        { v1: 25, v2: 25, v3: 25, v4: 25 },
        SHOPFRONT_VIRTUAL_SERVICE,
      );
      expect(routeOf(shifted)).toEqual(
        ["v1", "v2", "v3", "v4"].map((subset) => ({
          destination: { host: "shopfront-svc", subset },
          weight: 25,
        })),
      );
      expect(routeOf(walkthrough.documents).map((entry: { weight: number }) => entry.weight)).toEqual([
        50, 30, 15, 5,
      ]);
    });

    it("keeps the route's timeout and retries", () => {
      const [rule] = (
        withRouteWeights(walkthrough.documents, { v4: 100 }, SHOPFRONT_VIRTUAL_SERVICE).find(
          (d) => d.object.kind === "VirtualService",
        ) as Editable
      ).object.spec.http;
      expect(rule).toEqual({
        timeout: "4s",
        retries: {
          attempts: 2,
          perTryTimeout: "1s",
          retryOn: "connect-failure,refused-stream,unavailable,cancelled,reset",
        },
        route: [{ destination: { host: "shopfront-svc", subset: "v4" }, weight: 100 }],
      });
    });

    it("refuses a VirtualService that is not in the manifests", () => {
      expect(() => withRouteWeights(walkthrough.documents, { v1: 100 }, "other")).toThrow(
        "no VirtualService/other with an HTTP route to subsets",
      );
    });
  });
});
