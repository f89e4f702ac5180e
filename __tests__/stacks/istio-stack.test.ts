import { readFileSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../modules/settings/load";
import { buildStacks } from "../../stacks/app";
import { problemsOf, runMain } from "../config-problems";
import {
  buildTestStacks,
  dependenciesOf,
  helmRelease,
  resources,
  synth,
  synthJson,
  testApp,
} from "../helpers";

const REMOTE_STATE = "data.terraform_remote_state.cross-stack-reference-input-eks-cluster-stack.outputs";

describe("istio-stack", () => {
  const stacks = buildTestStacks();
  const json = synthJson(stacks.istio);
  const addressOf = (name: string) => helmRelease(stacks.istio, name).address;

  describe("providers", () => {
    const execBlock = {
      api_version: "client.authentication.k8s.io/v1beta1",
      command: "aws",
      args: [
        "eks",
        "get-token",
        "--cluster-name",
        `\${${REMOTE_STATE}.cross-stack-output-aws_eks_clustereks_cluster_55B0C966name}`,
        "--region",
        "us-east-1",
        "--output",
        "json",
      ],
    };
    const connection = {
      host: `\${${REMOTE_STATE}.cross-stack-output-aws_eks_clustereks_cluster_55B0C966endpoint}`,
      cluster_ca_certificate: `\${base64decode(${REMOTE_STATE}.cross-stack-output-aws_eks_clustereks_cluster_55B0C966certificate_authority0data)}`,
    };

    it("configures helm from eks-cluster-stack's outputs, in the 3.x schema: kubernetes and exec are objects", () => {
      expect(json.provider.helm).toEqual([{ kubernetes: { ...connection, exec: execBlock } }]);
      expect(json.terraform.required_providers.helm).toEqual({ source: "helm", version: "3.1.1" });
      // hashicorp/http, for the Gateway API CRDs fetched at deploy time: what @cdktf/provider-http 10.0.1 targets.
      expect(json.terraform.required_providers.http).toEqual({ source: "http", version: "3.5.0" });
      expect(json.provider.http).toEqual([{}]);
    });

    it("configures kubernetes the same way, with exec as a block list", () => {
      expect(json.provider.kubernetes).toEqual([{ ...connection, exec: [execBlock] }]);
    });

    it("keeps no token in state: credentials come from aws eks get-token at each run", () => {
      expect(JSON.stringify(json.provider)).not.toMatch(/"token"|client_key|password/);
    });

    it("reads eks-cluster-stack's state through terraform_remote_state", () => {
      expect(json.data.terraform_remote_state).toEqual({
        "cross-stack-reference-input-eks-cluster-stack": {
          backend: "local",
          config: { path: "<project>/terraform.eks-cluster-stack.tfstate" },
          workspace: "${terraform.workspace}",
        },
      });
    });
  });

  describe("outputs", () => {
    const hostname =
      "${data.kubernetes_service_v1.ingress-gateway-service.status[0].load_balancer[0].ingress[0].hostname}";

    it("publishes the ingress gateway's load balancer hostname and a ready gateway_url", () => {
      expect(json.output.ingress_hostname.value).toBe(hostname);
      expect(json.output.gateway_url.value).toBe(`http://${hostname}`);
    });

    it("reads the hostname from the istio-ingressgateway Service once its release is ready", () => {
      const service = json.data.kubernetes_service_v1["ingress-gateway-service"];
      expect(service.metadata.name).toBe("istio-ingressgateway");
      expect(service.metadata.namespace).toMatch(
        /^\$\{kubernetes_namespace_v1\.istio_namespace_\w+\.metadata\[0\]\.name\}$/,
      );
      expect(service.depends_on).toEqual([addressOf("istio-ingressgateway")]);
    });

    it("without a load balancer, publishes a port-forward command and the local gateway_url it serves", () => {
      const other = synthJson(buildTestStacks({ INGRESS_SERVICE_TYPE: "ClusterIP" }).istio);
      expect(other.data.kubernetes_service_v1).toBeUndefined();
      expect(other.output).toEqual({
        ingress_port_forward: expect.objectContaining({
          value: "kubectl -n istio-system port-forward svc/istio-ingressgateway 8080:80",
        }),
        gateway_url: expect.objectContaining({ value: "http://localhost:8080" }),
        deploy_record: expect.anything(),
      });
    });
  });

  describe("destroy order: the load balancer is gone before the cluster and the VPC", () => {
    it("depends on eks-cluster-stack, which depends on the VPC stack", () => {
      expect(stacks.istio.dependencies).toEqual([stacks.cluster]);
      expect(stacks.cluster.dependencies).toContain(stacks.network);
    });

    it("records the stack dependency in cdktf's manifest, which orders `cdktf deploy` and `cdktf destroy`", () => {
      const app = testApp();
      buildStacks(app, loadConfig({}));
      app.synth();
      const manifest = JSON.parse(readFileSync(path.join(app.outdir, "manifest.json"), "utf8"));
      expect(manifest.stacks["istio-stack"].dependencies).toEqual(["eks-cluster-stack"]);
      expect(manifest.stacks["eks-cluster-stack"].dependencies).toEqual(["eks-cluster-vpc-stack"]);
    });

    it("uninstalls each gateway with wait, for up to ten minutes: until its Service, and so its NLB, is gone", () => {
      for (const name of ["istio-ingressgateway", "istio-egressgateway"]) {
        const gateway = helmRelease(stacks.istio, name).config;
        expect(gateway).toMatchObject({ wait: true, timeout: 600 });
        expect(gateway).not.toHaveProperty("timeouts");
      }
    });

    it("destroys the gateways before istiod, istiod before the CNI agent, the CNI agent before the CRDs, the CRDs before istio-system", () => {
      const [namespaceId] = Object.keys(resources(stacks.istio, "kubernetes_namespace_v1"));
      const namespace = `kubernetes_namespace_v1.${namespaceId}`;
      const gatewayApiCrds = Object.keys(resources(stacks.istio, "kubernetes_manifest")).map(
        (id) => `kubernetes_manifest.${id}`,
      );
      const beneathBase = [namespace, ...gatewayApiCrds];
      const beneathIstiod = [
        addressOf("istiod"),
        addressOf("istio-cni"),
        addressOf("istio-base"),
        ...beneathBase,
      ];
      expect([...dependenciesOf(json, addressOf("istio-ingressgateway"))].sort()).toEqual(
        beneathIstiod.sort(),
      );
      expect([...dependenciesOf(json, addressOf("istio-egressgateway"))].sort()).toEqual(
        beneathIstiod.sort(),
      );
      expect(dependenciesOf(json, addressOf("istio-cni"))).toEqual(
        new Set([addressOf("istio-base"), ...beneathBase]),
      );
      expect(dependenciesOf(json, addressOf("istio-base"))).toEqual(new Set(beneathBase));
    });

    it("destroys the hostname read and every addon before istiod", () => {
      expect(dependenciesOf(json, "data.kubernetes_service_v1.ingress-gateway-service")).toContain(
        addressOf("istio-ingressgateway"),
      );
      for (const addon of ["prometheus", "grafana", "kiali"]) {
        expect(dependenciesOf(json, addressOf(addon))).toContain(addressOf("istiod"));
      }
    });
  });

  it("matches the reviewed plan", () => {
    expect(JSON.parse(synth(stacks.istio))).toMatchSnapshot();
  });

  describe("configuration", () => {
    it("defaults to Istio's pinned release, all three addons and an NLB", () => {
      expect(loadConfig({}).istio).toEqual({
        version: "1.31.1",
        addons: ["prometheus", "grafana", "kiali"],
        ingressServiceType: "LoadBalancer",
        ingressServiceAnnotations: {
          "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        },
        profile: "demo",
        meshMode: "sidecar",
        routingApi: "istio",
        ingressSourceCidrs: [],
        ingressCertificateArn: undefined,
        outboundTrafficPolicy: "ALLOW_ANY",
      });
    });

    it("reads every istio setting", () => {
      expect(
        loadConfig({
          ISTIO_VERSION: "1.31.0",
          ISTIO_ADDONS: " kiali , prometheus ",
          INGRESS_SERVICE_TYPE: "NodePort",
          INGRESS_SERVICE_ANNOTATIONS: "a.example.com/b_c=x=y, plain=",
          MESH_PROFILE: "production",
        }).istio,
      ).toEqual({
        version: "1.31.0",
        addons: ["prometheus", "kiali"],
        ingressServiceType: "NodePort",
        ingressServiceAnnotations: { "a.example.com/b_c": "x=y", plain: "" },
        profile: "production",
        meshMode: "sidecar",
        routingApi: "istio",
        ingressSourceCidrs: [],
        ingressCertificateArn: undefined,
        outboundTrafficPolicy: "REGISTRY_ONLY",
      });
      expect(loadConfig({ ISTIO_ADDONS: "none", INGRESS_SERVICE_ANNOTATIONS: "none" }).istio).toMatchObject({
        addons: [],
        ingressServiceAnnotations: {},
      });
    });

    // One case per error path: the message names the setting, the value and the accepted form.
    it.each([
      [
        { ISTIO_VERSION: "1.31" },
        'ISTIO_VERSION="1.31" is not an Istio release version x.y.z such as 1.31.1',
      ],
      [{ ISTIO_VERSION: "v1.31.1" }, 'ISTIO_VERSION="v1.31.1" is not an Istio release version x.y.z'],
      [
        { ISTIO_VERSION: "1.29.4" },
        'ISTIO_VERSION="1.29.4" is not a release of an Istio minor this project supports (1.31.x)',
      ],
      [
        { ISTIO_ADDONS: "prometheus,jaeger" },
        'ISTIO_ADDONS="prometheus,jaeger": "jaeger" is not an addon (the addons are prometheus, grafana, kiali; or none for no addon)',
      ],
      [
        { ISTIO_ADDONS: "grafana" },
        'ISTIO_ADDONS="grafana": grafana needs prometheus, its data source (add it: prometheus,grafana)',
      ],
      [
        { ISTIO_ADDONS: "kiali" },
        'ISTIO_ADDONS="kiali": kiali needs prometheus, the source of its graph (add it: prometheus,kiali)',
      ],
      [{ ISTIO_ADDONS: "" }, 'ISTIO_ADDONS="" is not a non-empty value'],
      [
        { INGRESS_SERVICE_TYPE: "loadbalancer" },
        'INGRESS_SERVICE_TYPE="loadbalancer" is not one of LoadBalancer, NodePort, ClusterIP',
      ],
      [
        { INGRESS_SERVICE_ANNOTATIONS: "nlb" },
        'INGRESS_SERVICE_ANNOTATIONS="nlb": "nlb" is not a key=value pair such as service.beta.kubernetes.io/aws-load-balancer-type=nlb',
      ],
      [
        { INGRESS_SERVICE_ANNOTATIONS: "Bad_Prefix/type=nlb" },
        'INGRESS_SERVICE_ANNOTATIONS="Bad_Prefix/type=nlb": "Bad_Prefix/type" is not an annotation key',
      ],
      [
        { INGRESS_SERVICE_ANNOTATIONS: `example.com/${"x".repeat(64)}=1` },
        "is not an annotation key: an optional DNS prefix",
      ],
      [
        { INGRESS_SERVICE_ANNOTATIONS: "a=1,a=2" },
        'INGRESS_SERVICE_ANNOTATIONS="a=1,a=2": the key a is given twice',
      ],
    ])("rejects %j", (env, fragment) => {
      expect(problemsOf(env as Record<string, string>).join("\n")).toContain(fragment);
    });

    it("makes main.ts exit non-zero, name the problem and write no stack", () => {
      const result = runMain({ ISTIO_ADDONS: "grafana,loki" });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('ISTIO_ADDONS="grafana,loki": "loki" is not an addon');
      expect(result.stderr).toContain('ISTIO_ADDONS="grafana,loki": grafana needs prometheus');
      expect(result.wroteOutput).toBe(false);
    });
  });
});
