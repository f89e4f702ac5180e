import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { buildTestStacks, kubernetesManifests, synth, synthJson } from "../helpers";

describe("shopfront-stack", () => {
  const stacks = buildTestStacks();
  const json = synth(stacks.shopfront);
  const stack = synthJson(stacks.shopfront);

  it("talks to the cluster through the cluster stack's remote state, with aws eks get-token", () => {
    const remote = "data.terraform_remote_state.cross-stack-reference-input-eks-cluster-stack.outputs";
    expect(json).toHaveProviderWithProperties(KubernetesProvider, {
      host: expect.stringContaining(remote),
      cluster_ca_certificate: expect.stringMatching(/^\$\{base64decode\(data\.terraform_remote_state\./),
      exec: [expect.objectContaining({ command: "aws", args: expect.arrayContaining(["eks", "get-token"]) })],
    });
    expect(Object.keys(stack.data.terraform_remote_state)).toEqual([
      "cross-stack-reference-input-eks-cluster-stack",
    ]);
  });

  it("is deployed after istio-stack (the CRDs) and istio-config-stack (the mesh-wide objects), and destroyed before them", () => {
    expect(stacks.shopfront.dependencies).toEqual(
      expect.arrayContaining([stacks.istio, stacks.istioConfig, stacks.cluster]),
    );
  });

  it("leaves the mesh-wide objects (istio-system) to istio-config-stack", () => {
    const namespaces = new Set(
      Object.values(stack.resource.kubernetes_manifest).map(
        (m) => (m as { manifest: { metadata: { namespace?: string } } }).manifest.metadata.namespace,
      ),
    );
    // The Namespace itself has none.
    expect(namespaces).toEqual(new Set([undefined, "miztiik-automation-ns"]));
  });

  it("points the generators at the ingress Service's port 443 when TLS is on at the load balancer", () => {
    const ingressHost = (env: Record<string, string>) =>
      kubernetesManifests(synthJson(buildTestStacks(env).shopfront)).get("ConfigMap/shopfront-ingress")
        ?.manifest.data?.host;
    expect(ingressHost({})).toBe("istio-ingressgateway.istio-system.svc.cluster.local");
    expect(
      ingressHost({
        INGRESS_SOURCE_CIDRS: "203.0.113.0/24",
        INGRESS_CERTIFICATE_ARN:
          "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
      }),
    ).toBe("istio-ingressgateway.istio-system.svc.cluster.local:443");
  });

  it("applies the manifests through kubernetes_manifest", () => {
    const manifests = Object.values(stack.resource.kubernetes_manifest) as { manifest: { kind: string } }[];
    expect(manifests.map((m) => m.manifest.kind)).toEqual(
      expect.arrayContaining([
        "Namespace",
        "Deployment",
        "Service",
        "Gateway",
        "VirtualService",
        "DestinationRule",
      ]),
    );
    expect(Object.keys(stack.resource.kubernetes_manifest).length).toBeGreaterThanOrEqual(9);
  });

  it("outputs the deployed route weights, overridable with SHOPFRONT_WEIGHTS", () => {
    expect(stack.output.route_weights.value).toBe("v1=50,v2=30,v3=15,v4=5");
    const canary = synthJson(buildTestStacks({ SHOPFRONT_WEIGHTS: "v1=25,v2=25,v3=25,v4=25" }).shopfront);
    expect(canary.output.route_weights.value).toBe("v1=25,v2=25,v3=25,v4=25");
  });

  it("matches the reviewed plan", () => {
    expect(stack).toMatchSnapshot();
  });
});
