/**
 * Version pins, in one place: Kubernetes, Istio, the add-ons' Helm charts and their repositories, the
 * Gateway API CRDs and every container image. Nothing else in the project writes a version.
 */

/** busybox, by its multi-platform index's digest: the SSM agent installer's and the generators' image. */
const BUSYBOX_IMAGE =
  "public.ecr.aws/docker/library/busybox:1.37.0@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0";

/** Versions pinned in one place: Kubernetes, Istio, Helm charts and container images. */
export const VERSIONS = {
  /** EKS standard support until March 2027 (released on EKS January 2026). */
  kubernetes: "1.35",
  /** Kubernetes minor versions in EKS standard support that this project accepts. */
  supportedKubernetes: ["1.33", "1.34", "1.35"],
  /**
   * Istio, installed from its Helm charts (base, istiod and gateway are versioned with the release).
   * 1.31 supports Kubernetes 1.32 to 1.36 and is supported until six weeks after 1.33 (spring 2027).
   */
  istio: "1.31.1",
  /** Istio minor versions that ISTIO_VERSION may name, each with the Kubernetes minors it supports. */
  supportedIstio: { "1.31": ["1.32", "1.33", "1.34", "1.35", "1.36"] },
  /** The addons' Helm charts. */
  charts: {
    /** prometheus-community/prometheus, Prometheus v3.10.0. */
    prometheus: "28.10.0",
    /** grafana-community/grafana, Grafana 12.3.3. */
    grafana: "11.1.7",
    /** kiali/kiali-server, Kiali v2.31.0: the Kiali that Istio 1.31.1 ships as its addon. */
    kiali: "2.31.0",
  },
  /**
   * The Kubernetes Gateway API CRDs, standard channel, that istio-stack fetches at deploy time from
   * raw.githubusercontent.com at `tag`, one file of `config/crd/standard/` at a time, each checked
   * against its sha256 here (from `git show <tag>:config/crd/standard/<file> | sha256sum` on the
   * kubernetes-sigs/gateway-api repository; docs/ambient-and-gateway-api.md). v1.6.1: the release
   * that Istio 1.31 builds against (its go.mod has v1.6.0; v1.6.1 changes only the bundle-version).
   */
  gatewayApi: {
    tag: "v1.6.1",
    commit: "8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3",
    files: {
      "gateway.networking.k8s.io_backendtlspolicies.yaml":
        "0d48c9e4b53dd9510cf615b9b1192d9d7afb07a1cc0498c9515627cb1c075419",
      "gateway.networking.k8s.io_gatewayclasses.yaml":
        "53710048ba26f8620eed59d5e51b157ecf040daf5c6eef31a4b991e0808c4be5",
      "gateway.networking.k8s.io_gateways.yaml":
        "25b885f5870b8fff1ae82efa2628b2761cef3745900c2aecf8fb76629a01255a",
      "gateway.networking.k8s.io_grpcroutes.yaml":
        "53a8d029da8f07e55d3fa58a5cf6de5950dab19fbb8d6a8082fb5e51ca5ef6fc",
      "gateway.networking.k8s.io_httproutes.yaml":
        "a424a0d6c953b162e71d1d97bb7e75012d8f1ac264e7274f2763d1b96ab39852",
      "gateway.networking.k8s.io_listenersets.yaml":
        "bf4d4b02564999b2558b96e31465129895db9b3a8adfb90adb9c80eac52a3a70",
      "gateway.networking.k8s.io_referencegrants.yaml":
        "8c645e9333cfa67790cc2a53e0c00076f88b2bd4230d2b49688c78bc34f9b2c3",
      "gateway.networking.k8s.io_tcproutes.yaml":
        "d5104d0cf30e924f5e3c9e2e76abd46876401c34ca33b9e79321523eee78c7f6",
      "gateway.networking.k8s.io_tlsroutes.yaml":
        "bb8b67926e5d9652cbfd2e19063b7c1d9e78806c9dd671608f57baef2f2e3bbb",
      "gateway.networking.k8s.io_udproutes.yaml":
        "4b80684c2bf8ef4b0a2a3ab45164ac9f96258fc69912645ff50ced595b0aa6de",
      /** Two documents: the ValidatingAdmissionPolicy and its binding that refuse a channel or version downgrade. */
      "gateway.networking.k8s.io_vap_safeupgrades.yaml":
        "afb0ea1b3cc2e9344d93b0926fbe741aeb48ab4439f9f7b4b77b9ac94faf6c2e",
    },
  },
  images: {
    /** Run-once SSM agent installer (uses busybox's nsenter to reach the host). */
    ssmInstaller: BUSYBOX_IMAGE,
    /**
     * The images of manifests/, pinned by the digest of their multi-platform index (docs/security-kubernetes.md
     * says where each digest comes from); the manifests repeat them, a test keeps both equal.
     */
    shopfrontHttpd:
      "public.ecr.aws/docker/library/httpd:2.4.68@sha256:454942557d44332cd7e4ae415e7ec9b4dbbf01b4a042491f423fcaf10a32ce9f",
    shopfrontNginx:
      "docker.io/nginxinc/nginx-unprivileged:1.30.1@sha256:6f5c8f8836fce1eba7daa6b4f0dbfe7aa742be47e1b15386a67be7a3dbd06086",
    generators: BUSYBOX_IMAGE,
  },
} as const;

/** Helm repositories of the charts in VERSIONS. */
export const CHART_REPOSITORIES = {
  /** Istio publishes its charts here from 1.31 on (no longer on istio-release.storage.googleapis.com). */
  istio: "https://blob.istio.io/istio-release/charts",
  prometheus: "https://prometheus-community.github.io/helm-charts",
  /** The Grafana chart moved from grafana.github.io/helm-charts to the community organisation in 2026. */
  grafana: "https://grafana-community.github.io/helm-charts",
  kiali: "https://kiali.org/helm-charts",
} as const;
