import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { buildTestStacks, resources, synth } from "../../helpers";

describe("Network (eks-cluster-vpc-stack)", () => {
  const { network } = buildTestStacks();
  const json = synth(network);
  const subnets = Object.values(resources(network, "aws_subnet"));

  it("builds the walkthrough's VPC 10.10.0.0/16 with DNS support", () => {
    expect(json).toHaveResourceWithProperties(Vpc, {
      cidr_block: "10.10.0.0/16",
      enable_dns_hostnames: true,
      enable_dns_support: true,
    });
  });

  it("has six subnets: public, private and isolated in each of the two AZs", () => {
    expect(subnets).toHaveLength(6);
    for (const az of ["us-east-1a", "us-east-1b"]) {
      const tiers = subnets
        .filter((s) => s.availability_zone === az)
        .map((s) => (s.tags as Record<string, string>).tier);
      expect(tiers.sort()).toEqual(["isolated", "private", "public"]);
    }
  });

  it("gives each subnet its own /20 of the VPC", () => {
    const cidrs = subnets.map((s) => s.cidr_block);
    expect(new Set(cidrs).size).toBe(6);
    for (const cidr of cidrs) expect(cidr).toMatch(/^\$\{cidrsubnet\("10\.10\.0\.0\/16", 4, [0-5]\)\}$/);
  });

  it("takes AZ names from config, so planning needs no AWS API call", () => {
    const { network: other } = buildTestStacks({
      AWS_REGION: "eu-west-1",
      AVAILABILITY_ZONES: "eu-west-1b,eu-west-1c",
    });
    const zones = Object.values(resources(other, "aws_subnet")).map((s) => s.availability_zone);
    expect(new Set(zones)).toEqual(new Set(["eu-west-1b", "eu-west-1c"]));
    expect(synth(other)).not.toContain("aws_availability_zones");
  });

  it("tags public subnets for internet-facing load balancers and private ones for internal ones", () => {
    expect(json).toHaveResourceWithProperties(Subnet, {
      tags: expect.objectContaining({
        tier: "public",
        "kubernetes.io/role/elb": "1",
        "kubernetes.io/cluster/shopfront-eks": "shared",
      }),
    });
    expect(json).toHaveResourceWithProperties(Subnet, {
      tags: expect.objectContaining({
        tier: "private",
        "kubernetes.io/role/internal-elb": "1",
        "kubernetes.io/cluster/shopfront-eks": "shared",
      }),
    });
    const isolated = subnets.filter((s) => (s.tags as Record<string, string>).tier === "isolated");
    for (const subnet of isolated)
      expect(Object.keys(subnet.tags as object)).not.toContain("kubernetes.io/role/elb");
  });

  it("never gives instances public IPs on launch", () => {
    for (const subnet of subnets) expect(subnet.map_public_ip_on_launch).toBe(false);
  });

  it("has an internet gateway and exactly one NAT gateway, in a public subnet", () => {
    expect(json).toHaveResource(InternetGateway);
    expect(Object.keys(resources(network, "aws_nat_gateway"))).toHaveLength(1);
    expect(json).toHaveResourceWithProperties(Eip, { domain: "vpc" });
    const nat = Object.values(resources(network, "aws_nat_gateway"))[0];
    const [publicSubnet] = Object.entries(resources(network, "aws_subnet")).find(
      ([, s]) => (s.tags as Record<string, string>).tier === "public" && s.availability_zone === "us-east-1a",
    ) as [string, unknown];
    expect(nat.subnet_id).toBe(`\${aws_subnet.${publicSubnet}.id}`);
    expect(json).toHaveResourceWithProperties(NatGateway, {
      allocation_id: expect.stringContaining("aws_eip"),
    });
  });

  it("routes public subnets to the internet gateway, private ones to the NAT, isolated ones nowhere", () => {
    const routes = Object.values(resources(network, "aws_route"));
    expect(routes).toHaveLength(2);
    expect(json).toHaveResourceWithProperties(Route, {
      destination_cidr_block: "0.0.0.0/0",
      gateway_id: expect.stringContaining("aws_internet_gateway"),
    });
    expect(json).toHaveResourceWithProperties(Route, {
      destination_cidr_block: "0.0.0.0/0",
      nat_gateway_id: expect.stringContaining("aws_nat_gateway"),
    });
    const tables = resources(network, "aws_route_table");
    expect(Object.keys(tables)).toHaveLength(3);
    const associations = Object.values(resources(network, "aws_route_table_association"));
    expect(associations).toHaveLength(6);
    const isolatedTable = Object.keys(tables).find((name) => name.includes("isolated")) as string;
    const routedTables = routes.map((r) => r.route_table_id);
    expect(routedTables).not.toContain(`\${aws_route_table.${isolatedTable}.id}`);
  });
});
