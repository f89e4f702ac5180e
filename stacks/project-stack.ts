import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { Config } from "../modules/settings/load";

/** Apps built for `npm run plan` only (`buildStacks(app, config, { offlinePlan: true })`). */
const planOnlyApps = new WeakSet<Construct>();

/** Gives every AWS provider in `app` mock credentials and skip flags: a plan with no AWS account, never a deploy. */
export function markPlanOnly(app: Construct): void {
  planOnlyApps.add(app);
}

/** A stack's state key in the bucket: per cluster, so two clusters can share one bucket. */
export function stateKey(config: Config, stackName: string): string {
  return `${config.state.keyPrefix}/${config.cluster.name}/${stackName}.tfstate`;
}

export interface ProjectStackOptions {
  /** Keep this stack's state in a local file even when STATE_BUCKET is set (the bootstrap stack). */
  readonly alwaysLocalState?: boolean;
}

/**
 * A stack of this project: its Terraform state goes to the S3 bucket when STATE_BUCKET is set (one key
 * per cluster and stack, encrypted, S3 native locking), else to a local file, the offline default.
 */
export class ProjectStack extends TerraformStack {
  constructor(
    scope: Construct,
    readonly stackName: string,
    protected readonly config: Config,
    options: ProjectStackOptions = {},
  ) {
    super(scope, stackName);
    const bucket = options.alwaysLocalState ? undefined : config.state.bucket;
    if (bucket) {
      const backend = new S3Backend(this, {
        bucket,
        key: stateKey(config, stackName),
        region: config.aws.region,
        encrypt: true,
      });
      // Terraform >= 1.10 locks with a lock object beside the state; cdktf 0.21's S3Backend has no field for it.
      backend.addOverride("use_lockfile", true);
    } else {
      new LocalBackend(this, {});
    }
  }

  /** The AWS provider, tagging every resource it creates with the project, environment and owner. */
  protected awsProvider(): AwsProvider {
    const { config } = this;
    return new AwsProvider(this, "aws", {
      region: config.aws.region,
      defaultTags: [
        {
          tags: {
            project: config.project,
            environment: config.aws.environment,
            owner: config.aws.owner,
            "managed-by": "cdktf",
            stack: this.stackName,
          },
        },
      ],
      // Only for `npm run plan`: a plan with no AWS account. Never in a deploy.
      ...(planOnlyApps.has(this.node.root)
        ? {
            accessKey: "offline-plan",
            secretKey: "offline-plan",
            skipCredentialsValidation: true,
            skipRequestingAccountId: true,
            skipMetadataApiCheck: "true",
          }
        : {}),
    });
  }
}
