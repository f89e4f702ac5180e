import { ADDON_NEEDS } from "../../settings/sections/istio";
import { CHART_REPOSITORIES, VERSIONS } from "../../settings/versions";
import type { AddOn } from "./addon";

const PORT = 9090;

/**
 * Prometheus's one scrape job for the mesh: every pod annotated `prometheus.io/scrape`, at the port and
 * path of its `prometheus.io/*` annotations. istiod and the gateways carry them, and so does every
 * sidecar, which serves its own and the application's metrics merged on port 15020.
 */
export const ANNOTATED_PODS_JOB = {
  job_name: "kubernetes-pods",
  kubernetes_sd_configs: [{ role: "pod" }],
  relabel_configs: [
    {
      source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
      action: "keep",
      regex: "true",
    },
    {
      source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scheme"],
      action: "replace",
      regex: "(https?)",
      target_label: "__scheme__",
    },
    {
      source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"],
      action: "replace",
      regex: "(.+)",
      target_label: "__metrics_path__",
    },
    {
      source_labels: ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
      action: "replace",
      regex: "([^:]+)(?::\\d+)?;(\\d+)",
      replacement: "$1:$2",
      target_label: "__address__",
    },
    { action: "labelmap", regex: "__meta_kubernetes_pod_label_(.+)" },
    { source_labels: ["__meta_kubernetes_namespace"], action: "replace", target_label: "namespace" },
    { source_labels: ["__meta_kubernetes_pod_name"], action: "replace", target_label: "pod" },
    {
      source_labels: ["__meta_kubernetes_pod_phase"],
      action: "drop",
      regex: "Pending|Succeeded|Failed|Completed",
    },
  ],
};

/** Prometheus scraping the mesh, as Istio's `samples/addons/prometheus.yaml`, which is generated from this chart. */
export const prometheus: AddOn = {
  name: "prometheus",
  chart: {
    repository: CHART_REPOSITORIES.prometheus,
    chart: "prometheus",
    version: VERSIONS.charts.prometheus,
  },
  port: PORT,
  needs: ADDON_NEEDS.prometheus,
  installAfter: [],
  values: () => ({
    // The server alone: the mesh needs no alerting, pushgateway, node or object-state metrics.
    alertmanager: { enabled: false },
    "kube-state-metrics": { enabled: false },
    "prometheus-node-exporter": { enabled: false },
    "prometheus-pushgateway": { enabled: false },
    server: {
      // Named and served as Istio's own addon is, where Kiali and istioctl look for it.
      fullnameOverride: "prometheus",
      service: { type: "ClusterIP", servicePort: PORT },
      persistentVolume: { enabled: false },
      retention: "24h",
      global: { scrape_interval: "15s" },
      resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
    },
    serverFiles: {
      "prometheus.yml": {
        scrape_configs: [
          { job_name: "prometheus", static_configs: [{ targets: [`localhost:${PORT}`] }] },
          ANNOTATED_PODS_JOB,
        ],
      },
    },
  }),
};
