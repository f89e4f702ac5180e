import path from "node:path";
import { checkManifests } from "../../../../modules/manifests/checks";
import {
  type ManifestDocument,
  parseManifests,
  readManifestFiles,
} from "../../../../modules/manifests/model";
import { RATE_LIMIT_FILE } from "../../../../modules/shopfront/rate-limit";
import { ingressPrincipal } from "../../../../modules/shopfront/variants";
import { type Editable, editedCopy, error, variantManifests } from "../../../manifest-documents";

const FILE = path.join("manifests", RATE_LIMIT_FILE);
const FILTER = "EnvoyFilter/ingress-rate-limit";

/** The walkthrough's manifests and the rate limit's file, its EnvoyFilter edited, checked. */
function checkedFilter(edit: (spec: Editable) => void, routingApi: "istio" | "gateway-api" = "istio") {
  const manifests = variantManifests({ meshMode: "sidecar", routingApi });
  const limit = parseManifests(readManifestFiles([FILE])).documents;
  const documents: ManifestDocument[] = editedCopy([...limit, ...manifests.documents], (objectOf) =>
    edit(objectOf("EnvoyFilter", "ingress-rate-limit", "istio-system").spec),
  );
  return checkManifests(documents, { ingressGatewayPrincipal: ingressPrincipal(routingApi) });
}

const typedConfig = (spec: Editable) => spec.configPatches[0].patch.value.typed_config;

describe("the ingress's local rate limit", () => {
  it("manifests/resilience/ingress-rate-limit.yaml passes as it is", () => {
    expect(checkedFilter(() => {})).toEqual([]);
  });

  it("refuses a selector that picks no ingress gateway's pods: the chart's gateway is not there with the Gateway API", () => {
    expect(checkedFilter(() => {}, "gateway-api")).toEqual([
      error(
        FILE,
        FILTER,
        "spec.workloadSelector.labels",
        /^select no ingress gateway's pods \(gateway\.networking\.k8s\.io\/gateway-name=shopfront-gateway\): the rate limit limits nothing at the edge$/,
      ),
    ]);
    expect(
      checkedFilter((spec) => {
        spec.workloadSelector.labels = { "gateway.networking.k8s.io/gateway-name": "shopfront-gateway" };
      }, "gateway-api"),
    ).toEqual([]);
  });

  it("refuses a fill interval Envoy refuses, and an empty bucket", () => {
    expect(
      checkedFilter((spec) => {
        typedConfig(spec).token_bucket = { max_tokens: 0, tokens_per_fill: 1, fill_interval: "10ms" };
      }),
    ).toEqual([
      error(
        FILE,
        FILTER,
        "spec.configPatches[0].patch.value.typed_config.token_bucket.max_tokens",
        /^is 0: an empty bucket refuses every request/,
      ),
      error(
        FILE,
        FILTER,
        "spec.configPatches[0].patch.value.typed_config.token_bucket.fill_interval",
        /^is "10ms": Envoy refuses a fill interval under 50ms$/,
      ),
    ]);
  });

  it("refuses a filter without a bucket: it limits nothing", () => {
    expect(checkedFilter((spec) => delete typedConfig(spec).token_bucket)).toEqual([
      error(
        FILE,
        FILTER,
        "spec.configPatches[0].patch.value.typed_config.token_bucket",
        /^is missing: without a bucket/,
      ),
    ]);
  });

  it("warns when the filter is not enforced for every request (Envoy's default is 0%)", () => {
    expect(checkedFilter((spec) => delete typedConfig(spec).filter_enforced)).toEqual([
      expect.objectContaining({
        severity: "warning",
        field: "spec.configPatches[0].patch.value.typed_config.filter_enforced",
        message: expect.stringMatching(
          /^applies to 0% of requests \(Envoy's default is 0%\): the filter counts the rest but lets them through/,
        ),
      }),
    ]);
  });
});
