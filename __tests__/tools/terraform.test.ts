/**
 * Real Terraform, offline: validate and plan every stack whose providers are in the local mirror,
 * eks-cluster-stack against a fixture state of the network stack's outputs. Without terraform or the
 * mirror these tests show as skipped; under CI=true they run and fail instead.
 * @slow
 */
import type { SynthesizedStack } from "../../tools/plan-stacks";
import {
  checkAll,
  findToolchainSync,
  planDestroyOfEverything,
  planSummary,
  type Toolchain,
  terraform,
} from "../../tools/terraform";

const toolchain = findToolchainSync();
const mustRun = !("missing" in toolchain) || Boolean(process.env.CI);
const describeWithTerraform = mustRun ? describe : describe.skip;

describeWithTerraform("terraform, offline", () => {
  let result: Awaited<ReturnType<typeof checkAll>>;

  beforeAll(async () => {
    if ("missing" in toolchain) throw new Error(`CI must run real Terraform checks: ${toolchain.missing}`);
    result = await checkAll(toolchain, {});
  }, 300_000);

  afterAll(async () => {
    await result?.close();
  });

  const check = (stack: string) => {
    const found = result.checks.find((c) => c.stack === stack);
    if (!found) throw new Error(`${stack} was not checked`);
    return found;
  };

  it("validates and plans every stack whose providers are all mirrored, those that read upstream state included", () => {
    const mirrored = result.stacks.filter((stack) =>
      stack.providers.every((p) => (toolchain as Toolchain).providers.has(p)),
    );
    expect(mirrored.map((stack) => stack.name)).toEqual(expect.arrayContaining(["eks-cluster-stack"]));
    for (const stack of result.stacks) {
      expect({ stack: stack.name, planned: Boolean(check(stack.name).plan) }).toEqual({
        stack: stack.name,
        planned: mirrored.includes(stack),
      });
    }
  });

  it("plans tf-state-bootstrap: the state bucket with 7 protections, its log bucket with 6", () => {
    expect(check("tf-state-bootstrap").plan).toMatchObject({ create: 15, update: 0, delete: 0 });
  });

  it("plans eks-cluster-vpc-stack: VPC, 6 subnets, IGW, EIP, 1 NAT, 3 tables, 2 routes, 6 associations, default SG, flow logs (log group, key, alias, role, policy, flow log)", () => {
    const plan = check("eks-cluster-vpc-stack").plan;
    expect(plan).toMatchObject({ create: 28, update: 0, delete: 0 });
    expect(plan?.text).toContain('+ cidr_block                           = "10.10.0.0/16"');
    expect(plan?.text.match(/# aws_nat_gateway\./g)).toHaveLength(1);
    expect(plan?.text).toMatch(/\+ name += "shopfront-eks-vpc-flow-logs"/);
    expect(plan?.text).not.toContain("offline-plan:");
  });

  it("plans eks-cluster-stack against a fixture state of the network stack's outputs", () => {
    const cluster = check("eks-cluster-stack");
    expect(cluster.plan).toMatchObject({ create: 22, update: 0, delete: 0 });
    expect(cluster.note).toContain("eks-cluster-vpc-stack");
    // The control plane's subnets are the fixture's values, read through terraform_remote_state.
    expect(cluster.plan?.text).toContain('"offline-plan:cross-stack-output-aws_subnetnetwork_private-0');
    // The admin role trusts the (stand-in) deploying identity, not the account root.
    expect(cluster.plan?.text).toContain('AWS = "arn:aws:iam::123456789012:user/offline-plan"');
    // It records that identity as the cluster's creator, which EKS makes admin.
    expect(cluster.plan?.text).toMatch(/\+ principal_arn = "arn:aws:iam::123456789012:user\/offline-plan"/);
  });

  describe("the state bucket's stack, every resource in its state", () => {
    let bootstrap: SynthesizedStack;
    let destroy: Awaited<ReturnType<typeof planDestroyOfEverything>>;

    beforeAll(async () => {
      const found = result.stacks.find((stack) => stack.name === "tf-state-bootstrap");
      if (!found) throw new Error("no tf-state-bootstrap stack");
      bootstrap = found;
      destroy = await planDestroyOfEverything(result.session, bootstrap);
    }, 120_000);

    it("refuses to destroy the state bucket or any of its configuration: the destroy plan fails before anything is touched", () => {
      expect(destroy.succeeded).toBe(false);
      const refused = [
        ...destroy.output.matchAll(/Resource\s+(aws_[a-z0-9_]+\.\S+)\s+has\s+lifecycle\.prevent_destroy/g),
      ];
      expect(refused.map((match) => match[1].split(".")[0]).sort()).toEqual(
        [
          ...Array(2).fill("aws_s3_bucket"),
          ...Array(2).fill("aws_s3_bucket_lifecycle_configuration"),
          "aws_s3_bucket_logging",
          ...Array(2).fill("aws_s3_bucket_ownership_controls"),
          ...Array(2).fill("aws_s3_bucket_policy"),
          ...Array(2).fill("aws_s3_bucket_public_access_block"),
          ...Array(2).fill("aws_s3_bucket_server_side_encryption_configuration"),
          ...Array(2).fill("aws_s3_bucket_versioning"),
        ].sort(),
      );
    });

    it("removes the buckets from Terraform's hands the documented way: after `state rm` of everything, a destroy has nothing to do", async () => {
      const { session } = result;
      const listed = (await terraform(session, bootstrap.dir, ["state", "list"])).stdout.trim().split("\n");
      expect(listed).toHaveLength(15);
      await terraform(session, bootstrap.dir, ["state", "rm", ...listed]);
      const { stdout } = await terraform(session, bootstrap.dir, [
        "plan",
        "-destroy",
        "-no-color",
        "-lock=false",
        "-refresh=false",
      ]);
      expect(stdout).toContain("No changes. No objects need to be destroyed.");
    }, 120_000);
  });
});

describe("planSummary", () => {
  it("reads Terraform's closing line", () => {
    expect(planSummary("...\nPlan: 21 to add, 1 to change, 2 to destroy.\n")).toEqual({
      create: 21,
      update: 1,
      delete: 2,
    });
  });

  it("counts nothing for a plan that changes only outputs", () => {
    expect(planSummary('Changes to Outputs:\n  + status = "x"\n')).toEqual({
      create: 0,
      update: 0,
      delete: 0,
    });
  });

  it("refuses a plan with actions but no summary", () => {
    expect(() => planSummary("Terraform will perform the following actions:\n")).toThrow(/no plan summary/);
  });
});
