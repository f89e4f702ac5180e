import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { StateBucket } from "../modules/aws/state-bucket";
import type { Config } from "../modules/settings/load";
import { STACK_NAMES } from "../modules/settings/names";
import { ProjectStack } from "./project-stack";

/**
 * tf-state-bootstrap: the state bucket and its access-log bucket, on local state (the bucket cannot keep
 * its own state). Both refuse destruction: docs/security.md says how to remove them on purpose.
 */
export class StateBootstrapStack extends ProjectStack {
  readonly stateBucket: StateBucket;

  constructor(scope: Construct, config: Config) {
    super(scope, STACK_NAMES.bootstrap, config, { alwaysLocalState: true });
    this.awsProvider();
    this.stateBucket = new StateBucket(this, "state-bucket", {
      bucketName: config.state.bucket,
      namePrefix: `${config.project}-tfstate-`,
      logBucketNamePrefix: `${config.project}-tfstate-logs-`,
    });
    new TerraformOutput(this, "state_bucket", {
      value: this.stateBucket.bucket.bucket,
      description: "Set STATE_BUCKET to this name to keep every other stack's state in it",
    });
    new TerraformOutput(this, "state_access_log_bucket", {
      value: this.stateBucket.logBucket.bucket,
      description: "Where S3 writes the state bucket's server access logs",
    });
  }
}
