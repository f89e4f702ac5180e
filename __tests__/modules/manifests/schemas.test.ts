import type { Finding } from "../../../modules/manifests/finding";
import type { KubeObject } from "../../../modules/manifests/model";
import { checkSchema, SCHEMA_PACKAGES } from "../../../modules/manifests/schemas";

const NAMESPACE = "miztiik-automation-ns";

function check(object: Record<string, unknown>): Finding[] {
  return checkSchema({ file: "extra.yaml", index: 0, object: object as unknown as KubeObject });
}

function error(resource: string, field: string, message: RegExp): Finding {
  return { severity: "error", file: "extra.yaml", resource, field, message: expect.stringMatching(message) };
}

const UNKNOWN = /^is not a field of this kind: the API server would drop it$/;

const virtualService = (http: Record<string, unknown>) => ({
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: { name: "shopfront", namespace: NAMESPACE },
  spec: { hosts: ["shopfront-svc"], http: [http] },
});

describe("schemas", () => {
  it("registers the Kubernetes, Istio and Gateway API model packages", () => {
    expect(SCHEMA_PACKAGES).toEqual([
      "kubernetes-models",
      "@kubernetes-models/istio",
      "@kubernetes-models/gateway-api",
    ]);
  });

  it.each([
    [
      "ConfigMap",
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "settings", namespace: NAMESPACE },
        data: { "any.key": "value" },
      },
    ],
    [
      "ServiceAccount",
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "shopfront", namespace: NAMESPACE },
        automountServiceAccountToken: false,
      },
    ],
    [
      "HorizontalPodAutoscaler",
      {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: {
          name: "shopfront-v1",
          namespace: NAMESPACE,
          labels: { app: "shopfront" },
          annotations: { "a/b": "c" },
        },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "shopfront-v1" },
          minReplicas: 3,
          maxReplicas: 6,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
            },
          ],
        },
      },
    ],
    [
      "HTTPRoute (Gateway API)",
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "shopfront", namespace: NAMESPACE },
        spec: {
          parentRefs: [{ name: "shopfront" }],
          rules: [{ backendRefs: [{ name: "shopfront-svc", port: 80, weight: 50 }] }],
        },
      },
    ],
  ])("accepts a valid %s, maps with any keys included", (_kind, object) => {
    expect(check(object)).toEqual([]);
  });

  it("validates any Kubernetes kind against its schema", () => {
    expect(
      check({
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "h" },
        spec: { scaleTargetRef: { kind: "Deployment", name: "x" }, maxReplicas: "six" },
      }),
    ).toEqual([error("HorizontalPodAutoscaler/h", "spec.maxReplicas", /^must be integer \(got "six"\)$/)]);
  });

  it.each([
    [
      "an Istio route",
      virtualService({ route: [{ destination: { host: "shopfront-svc" } }], retrys: { attempts: 2 } }),
      "spec.http[0].retrys",
    ],
    [
      "an Istio destination",
      virtualService({ route: [{ destination: { host: "shopfront-svc", subsett: "v1" } }] }),
      "spec.http[0].route[0].destination.subsett",
    ],
    [
      "metadata",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", label: { app: "x" } } },
      "metadata.label",
    ],
    [
      "a top-level field",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, date: { a: "b" } },
      "date",
    ],
    [
      "a pod template",
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "d" },
        spec: {
          selector: { matchLabels: { app: "d" } },
          template: {
            metadata: { labels: { app: "d" } },
            spec: { containers: [{ name: "d", image: "i", imagePullPolicy: "Always", resource: {} }] },
          },
        },
      },
      "spec.template.spec.containers[0].resource",
    ],
  ])("reports an unknown field in %s, which the API server would silently drop", (_where, object, field) => {
    const { kind, metadata } = object as { kind: string; metadata: { name: string } };
    expect(check(object)).toEqual([error(`${kind}/${metadata.name}`, field, UNKNOWN)]);
  });

  it("checks a kind no package models as far as it can, never refusing it for being unknown", () => {
    expect(
      check({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { anything: 1 } }),
    ).toEqual([]);
    expect(check({ apiVersion: "not a version", kind: "widget", metadata: { name: "w" } })).toEqual([
      error("widget/w", "apiVersion", /^"not a version" is not a group\/version such as apps\/v1$/),
      error("widget/w", "kind", /^"widget" is not a kind such as ConfigMap$/),
    ]);
  });

  it("never reads outside the model packages for an apiVersion that looks like a path", () => {
    expect(check({ apiVersion: "../../v1", kind: "Namespace", metadata: { name: "n" } })).toEqual([
      error("Namespace/n", "apiVersion", /is not a group\/version/),
    ]);
  });
});
