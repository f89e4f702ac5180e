import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { Release } from "@cdktf/provider-helm/lib/release";
import { TerraformStack, Testing } from "cdktf";
import { ANNOTATED_PODS_JOB } from "../../../modules/mesh/addons/prometheus";
import { Observability } from "../../../modules/mesh/observability";
import { VERSIONS } from "../../../modules/settings/versions";
import { buildTestStacks, helmRelease, resources, synth, testApp } from "../../helpers";

type Json = Record<string, unknown>;
type IstioStack = ReturnType<typeof buildTestStacks>["istio"];

function releaseNames(stack: IstioStack): unknown[] {
  return Object.values(resources(stack, "helm_release")).map((r) => r.name);
}

/** Applies a Prometheus relabel rule's regex as Prometheus does: anchored at both ends. */
function relabel(rule: { regex?: string; replacement?: string }, joined: string): string | undefined {
  const match = new RegExp(`^(?:${rule.regex})$`).exec(joined);
  if (!match) return undefined;
  return (rule.replacement ?? "$1").replace(/\$(\d)/g, (_, n) => match[Number(n)]);
}

describe("Observability (istio-stack)", () => {
  const { istio } = buildTestStacks();
  const json = synth(istio);
  const prometheus = helmRelease(istio, "prometheus");
  const grafana = helmRelease(istio, "grafana");
  const kiali = helmRelease(istio, "kiali");

  it("installs Prometheus, Grafana and Kiali from their official repositories, pinned, in istio-system", () => {
    const expected = [
      [
        "prometheus",
        "prometheus",
        "https://prometheus-community.github.io/helm-charts",
        VERSIONS.charts.prometheus,
      ],
      ["grafana", "grafana", "https://grafana-community.github.io/helm-charts", VERSIONS.charts.grafana],
      ["kiali", "kiali-server", "https://kiali.org/helm-charts", VERSIONS.charts.kiali],
    ];
    for (const [name, chart, repository, version] of expected) {
      expect(version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(json).toHaveResourceWithProperties(Release, {
        name,
        chart,
        repository,
        version,
        namespace: "istio-system",
        wait: true,
      });
    }
  });

  it("installs the addons after istiod, and Kiali after the Prometheus and Grafana it reads", () => {
    const istiod = helmRelease(istio, "istiod").address;
    expect(prometheus.config.depends_on).toEqual([istiod]);
    expect(grafana.config.depends_on).toEqual([istiod]);
    expect(kiali.config.depends_on).toEqual([istiod, prometheus.address, grafana.address]);
  });

  it("gives every addon a ClusterIP Service on the walkthrough's port", () => {
    expect(prometheus.values.server).toMatchObject({
      fullnameOverride: "prometheus",
      service: { type: "ClusterIP", servicePort: 9090 },
    });
    expect(grafana.values.service).toEqual({ type: "ClusterIP", port: 3000 });
    expect(kiali.values.deployment).toMatchObject({ service_type: "ClusterIP", ingress: { enabled: false } });
  });

  describe("Prometheus", () => {
    it("runs the server alone, without a volume", () => {
      for (const part of [
        "alertmanager",
        "kube-state-metrics",
        "prometheus-node-exporter",
        "prometheus-pushgateway",
      ]) {
        expect(prometheus.values[part]).toEqual({ enabled: false });
      }
      expect(prometheus.values.server).toMatchObject({
        persistentVolume: { enabled: false },
        retention: "24h",
      });
    });

    it("scrapes every pod annotated prometheus.io/scrape: istiod, the gateways and the sidecars", () => {
      const files = prometheus.values.serverFiles as { "prometheus.yml": { scrape_configs: Json[] } };
      const jobs = files["prometheus.yml"].scrape_configs;
      expect(jobs.map((job) => job.job_name)).toEqual(["prometheus", "kubernetes-pods"]);
      expect(jobs[1]).toEqual(ANNOTATED_PODS_JOB);
      const [keep] = ANNOTATED_PODS_JOB.relabel_configs;
      expect(keep).toEqual({
        source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
        action: "keep",
        regex: "true",
      });
    });

    it("scrapes the port and path the annotations give, as a sidecar's merged metrics need", () => {
      const rules = ANNOTATED_PODS_JOB.relabel_configs;
      const address = rules.find((r) => r.target_label === "__address__");
      const path = rules.find((r) => r.target_label === "__metrics_path__");
      expect(address?.source_labels).toEqual([
        "__address__",
        "__meta_kubernetes_pod_annotation_prometheus_io_port",
      ]);
      expect(path?.source_labels).toEqual(["__meta_kubernetes_pod_annotation_prometheus_io_path"]);
      // A sidecar: pod port 8080 discovered, annotations prometheus.io/port=15020, path=/stats/prometheus.
      expect(address && relabel(address, "10.10.3.7:8080;15020")).toBe("10.10.3.7:15020");
      expect(address && relabel(address, "10.10.3.7;15014")).toBe("10.10.3.7:15014");
      expect(path && relabel(path, "/stats/prometheus")).toBe("/stats/prometheus");
    });
  });

  describe("Grafana", () => {
    it("reads Prometheus as its default data source", () => {
      const file = grafana.values.datasources as { "datasources.yaml": { datasources: Json[] } };
      expect(file["datasources.yaml"].datasources).toEqual([
        expect.objectContaining({
          name: "Prometheus",
          type: "prometheus",
          url: "http://prometheus.istio-system.svc:9090",
          isDefault: true,
        }),
      ]);
    });

    it("provisions Istio's mesh, service, workload, control plane and performance dashboards", () => {
      const providers = grafana.values.dashboardProviders as {
        "dashboardproviders.yaml": { providers: Json[] };
      };
      expect(providers["dashboardproviders.yaml"].providers).toEqual([
        expect.objectContaining({
          name: "istio",
          folder: "Istio",
          type: "file",
          options: { path: "/var/lib/grafana/dashboards/istio" },
        }),
      ]);
      const base = `https://raw.githubusercontent.com/istio/istio/${VERSIONS.istio}/manifests/addons/dashboards`;
      expect((grafana.values.dashboards as Json).istio).toEqual({
        "istio-mesh": { url: `${base}/istio-mesh-dashboard.gen.json` },
        "istio-service": { url: `${base}/istio-service-dashboard.json` },
        "istio-workload": { url: `${base}/istio-workload-dashboard.json` },
        "istio-control-plane": { url: `${base}/pilot-dashboard.gen.json` },
        "istio-performance": { url: `${base}/istio-performance-dashboard.json` },
      });
    });

    it("takes the dashboards of the Istio release installed", () => {
      const other = helmRelease(buildTestStacks({ ISTIO_VERSION: "1.31.0" }).istio, "grafana");
      const urls = Object.values(
        (other.values.dashboards as { istio: Record<string, { url: string }> }).istio,
      );
      for (const { url } of urls) expect(url).toContain("/istio/istio/1.31.0/");
    });

    it("has no anonymous access and no password in its values: the chart generates one into its Secret", () => {
      expect(grafana.values["grafana.ini"]).toEqual({ "auth.anonymous": { enabled: false } });
      expect(grafana.values.adminUser).toBe("admin");
      expect(grafana.values).not.toHaveProperty("adminPassword");
      expect(json).not.toMatch(/adminPassword|GF_SECURITY_ADMIN_PASSWORD|set_sensitive/);
    });

    it("carries the label istioctl dashboard grafana looks for", () => {
      expect(grafana.values.podLabels).toEqual({ app: "grafana" });
    });
  });

  describe("Kiali", () => {
    it("reads Prometheus and links to Grafana", () => {
      expect(kiali.values.external_services).toEqual({
        prometheus: { url: "http://prometheus.istio-system.svc:9090" },
        grafana: {
          enabled: true,
          internal_url: "http://grafana.istio-system.svc:3000",
          external_url: "http://localhost:3000",
        },
        tracing: { enabled: false },
      });
    });

    it("asks for a token to log in, and stays out of the mesh", () => {
      expect(kiali.values.auth).toEqual({ strategy: "token" });
      expect(kiali.values.deployment).toMatchObject({ pod_labels: { "sidecar.istio.io/inject": "false" } });
    });
  });

  describe("ISTIO_ADDONS", () => {
    it("installs only the addons it names", () => {
      const { istio: only } = buildTestStacks({ ISTIO_ADDONS: "prometheus" });
      expect(releaseNames(only)).toContain("prometheus");
      expect(releaseNames(only)).not.toContain("grafana");
      expect(releaseNames(only)).not.toContain("kiali");
    });

    it("installs none with none, and Istio still", () => {
      const { istio: none } = buildTestStacks({ ISTIO_ADDONS: "none" });
      expect(releaseNames(none).sort()).toEqual([
        "istio-base",
        "istio-cni",
        "istio-egressgateway",
        "istio-ingressgateway",
        "istiod",
      ]);
    });

    it("points Kiali at no Grafana when Grafana is not installed", () => {
      const { istio: noGrafana } = buildTestStacks({ ISTIO_ADDONS: "kiali,prometheus" });
      const alone = helmRelease(noGrafana, "kiali");
      expect((alone.values.external_services as Json).grafana).toEqual({ enabled: false });
      expect(alone.config.depends_on).toEqual([
        helmRelease(noGrafana, "istiod").address,
        helmRelease(noGrafana, "prometheus").address,
      ]);
    });
  });
});

describe("Observability construct", () => {
  it("refuses an add-on without the add-ons it needs, through CDKTF's validation", () => {
    const stack = new TerraformStack(testApp(), "observability-alone");
    new HelmProvider(stack, "helm", {});
    new Observability(stack, "observability", { addons: ["grafana", "kiali"], istioVersion: VERSIONS.istio });
    expect(() => Testing.synth(stack, true)).toThrow("add-on grafana needs prometheus, its data source");
    expect(() => Testing.synth(stack, true)).toThrow(
      "add-on kiali needs prometheus, the source of its graph",
    );
  });

  it("installs exactly the add-ons named, from their declarations", () => {
    const stack = new TerraformStack(testApp(), "observability-alone");
    new HelmProvider(stack, "helm", {});
    const observability = new Observability(stack, "observability", {
      addons: ["prometheus", "kiali"],
      istioVersion: VERSIONS.istio,
    });
    expect(Object.keys(observability.releases).sort()).toEqual(["kiali", "prometheus"]);
    expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(helmRelease(stack, "kiali").config.depends_on).toEqual([helmRelease(stack, "prometheus").address]);
  });
});
