import { Testing } from "cdktf";
// Types of the matchers below (toHaveResourceWithProperties and friends).
import "cdktf/lib/testing/adapters/jest";

// Registers toHaveResource, toHaveResourceWithProperties, toBeValidTerraform and friends.
Testing.setupJest();
