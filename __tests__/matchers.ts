/**
 * cdktf's jest matchers (toHaveResource, toHaveResourceWithProperties, ...), registered by the test
 * files that synthesize stacks: imported by helpers.ts rather than set up for every suite, so that the
 * suites that never touch cdktf (traffic, analyzer) do not pay for loading it.
 */
import { Testing } from "cdktf";
// The matchers' types.
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();
