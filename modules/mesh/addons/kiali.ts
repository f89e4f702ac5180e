import { ADDON_NEEDS } from "../../settings/sections/istio";
import { CHART_REPOSITORIES, VERSIONS } from "../../settings/versions";
import { type AddOn, serviceUrl } from "./addon";
import { grafana } from "./grafana";
import { prometheus } from "./prometheus";

/** Kiali reading Prometheus and linking to Grafana when it is installed, with token login. */
export const kiali: AddOn = {
  name: "kiali",
  chart: {
    repository: CHART_REPOSITORIES.kiali,
    chart: "kiali-server",
    version: VERSIONS.charts.kiali,
  },
  port: 20001,
  needs: ADDON_NEEDS.kiali,
  installAfter: ["prometheus", "grafana"],
  values: ({ namespace, installed }) => ({
    // Log in with a ServiceAccount token (docs/istio.md); no anonymous access to the mesh's configuration.
    auth: { strategy: "token" },
    deployment: {
      service_type: "ClusterIP",
      ingress: { enabled: false },
      // As Istio's own addon: outside the mesh, and reachable by port-forward without a NetworkPolicy.
      pod_labels: { "sidecar.istio.io/inject": "false" },
      network_policy: { enabled: false },
    },
    external_services: {
      prometheus: { url: serviceUrl(prometheus, namespace) },
      grafana: installed.has("grafana")
        ? {
            enabled: true,
            internal_url: serviceUrl(grafana, namespace),
            // Links in Kiali's pages open Grafana through `kubectl port-forward` (docs/istio.md).
            external_url: `http://localhost:${grafana.port}`,
          }
        : { enabled: false },
      tracing: { enabled: false },
    },
  }),
};
