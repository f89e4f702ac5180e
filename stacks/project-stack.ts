import path from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { Config } from "../modules/settings/load";
import type { SettingName } from "../modules/settings/table";
import { DEPLOY_RECORD_OUTPUT, deployRecord } from "./deploy-record";

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

/** Where a stack's Terraform state is: an object in the state bucket, or a file in the project folder. */
export type StateLocation =
  | { readonly backend: "s3"; readonly bucket: string; readonly key: string; readonly region: string }
  | { readonly backend: "local"; readonly path: string };

/**
 * Where `stackName`'s state is with these settings: the bucket's key when STATE_BUCKET is set, else
 * `terraform.<stack>.tfstate` in `folder` (the project folder, where every command runs).
 */
export function stateLocation(config: Config, stackName: string, folder = process.cwd()): StateLocation {
  return config.state.bucket
    ? {
        backend: "s3",
        bucket: config.state.bucket,
        key: stateKey(config, stackName),
        region: config.aws.region,
      }
    : { backend: "local", path: path.join(folder, `terraform.${stackName}.tfstate`) };
}

export interface ProjectStackOptions {
  /**
   * Keep this stack's state in a local file even when STATE_BUCKET is set, and keep no deploy record
   * (the bootstrap stack, which npm run destroy:all never destroys).
   */
  readonly alwaysLocalState?: boolean;
  /**
   * Settings besides CLUSTER_NAME and AWS_REGION that this stack's teardown depends on: recorded in
   * its state at deploy (stacks/deploy-record.ts), refused by destroy:all when they differ. @default none
   */
  readonly teardownSettings?: readonly SettingName[];
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
    const state = stateLocation(
      options.alwaysLocalState ? { ...config, state: { ...config.state, bucket: undefined } } : config,
      stackName,
    );
    if (state.backend === "s3") {
      const { bucket, key, region } = state;
      const backend = new S3Backend(this, { bucket, key, region, encrypt: true });
      // Terraform >= 1.10 locks with a lock object beside the state; cdktf 0.21's S3Backend has no field for it.
      backend.addOverride("use_lockfile", true);
    } else {
      new LocalBackend(this, { path: state.path });
    }
    if (!options.alwaysLocalState) {
      new TerraformOutput(this, DEPLOY_RECORD_OUTPUT, {
        description:
          "The settings this stack was deployed with that its teardown depends on: npm run destroy:all refuses others",
        // JSON text: cdktf 0.21 checks an object value with util.isArray, deprecated on Node 22 and later.
        value: JSON.stringify(deployRecord(config, options.teardownSettings ?? [])),
      });
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
