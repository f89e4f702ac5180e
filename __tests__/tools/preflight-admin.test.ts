import { callerRole } from "../../tools/preflight-admin";

describe("callerRole: the IAM role behind `aws sts get-caller-identity`'s ARN", () => {
  it("reads an assumed-role session's role, in any partition (STS leaves out the role's path)", () => {
    expect(
      callerRole("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_1a2b/alice@example.com"),
    ).toEqual({ partition: "aws", account: "123456789012", name: "AWSReservedSSO_Admin_1a2b" });
    expect(callerRole("arn:aws-us-gov:sts::123456789012:assumed-role/deployer/ci")).toEqual({
      partition: "aws-us-gov",
      account: "123456789012",
      name: "deployer",
    });
  });

  it("is undefined for an IAM user, the root user or a federated user, which are principals themselves", () => {
    expect(callerRole("arn:aws:iam::123456789012:user/dev")).toBeUndefined();
    expect(callerRole("arn:aws:iam::123456789012:root")).toBeUndefined();
    expect(callerRole("arn:aws:sts::123456789012:federated-user/bob")).toBeUndefined();
  });
});
