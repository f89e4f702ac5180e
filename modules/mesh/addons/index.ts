import type { IstioAddon } from "../../settings/sections/istio";
import type { AddOn } from "./addon";
import { grafana } from "./grafana";
import { kiali } from "./kiali";
import { prometheus } from "./prometheus";

/**
 * Every add-on istio-stack can install, by the name ISTIO_ADDONS gives it. `satisfies` keeps this
 * registry and ISTIO_ADDONS in step: a name without a file, or a file without a name, fails to compile.
 */
export const ADDONS = { prometheus, grafana, kiali } as const satisfies Record<IstioAddon, AddOn>;
