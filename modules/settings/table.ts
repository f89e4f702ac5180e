/**
 * The settings table: every setting, by section, in the order `loadConfig` reads them (a default or a
 * check may use settings read before it). Each section file (sections/) declares its settings once:
 * name, kind, Config field, default, accepted form, description. docs/settings.md,
 * settings.example.env, the validation and the bad-input tests all come from here.
 */
import type { SectionValues } from "./kinds";
import { AUTHENTICATION } from "./sections/authentication";
import { AWS } from "./sections/aws";
import { CLUSTER } from "./sections/cluster";
import { ISTIO } from "./sections/istio";
import { NETWORK } from "./sections/network";
import { NODES } from "./sections/nodes";
import { RESILIENCE } from "./sections/resilience";
import { SHOPFRONT } from "./sections/shopfront";
import { STATE } from "./sections/state";

/** The sections, each the part of the Config of the same name. */
export const SECTIONS = {
  aws: AWS,
  state: STATE,
  network: NETWORK,
  cluster: CLUSTER,
  nodes: NODES,
  istio: ISTIO,
  shopfront: SHOPFRONT,
  resilience: RESILIENCE,
  authentication: AUTHENTICATION,
} as const;

type Sections = typeof SECTIONS;

/** Every setting by its name (the environment variable and settings-file key). */
export const SETTINGS = {
  ...AWS.settings,
  ...STATE.settings,
  ...NETWORK.settings,
  ...CLUSTER.settings,
  ...NODES.settings,
  ...ISTIO.settings,
  ...SHOPFRONT.settings,
  ...RESILIENCE.settings,
  ...AUTHENTICATION.settings,
};

export type SettingName = keyof typeof SETTINGS;

/** The validated configuration: each section's settings under their fields, and the project's name. */
export type Config = { readonly project: string } & {
  readonly [S in keyof Sections]: SectionValues<Sections[S]["settings"]>;
};

/** Settings that no longer exist: setting one is an error that says what to do instead. */
export const REMOVED_SETTINGS: Readonly<Record<string, string>> = {
  OFFLINE_PLAN: "a setting: npm run plan makes plan-only stacks in its own folder",
};

export type AwsConfig = Config["aws"];
export type StateConfig = Config["state"];
export type NetworkConfig = Config["network"];
export type ClusterConfig = Config["cluster"];
export type NodesConfig = Config["nodes"];
export type IstioConfig = Config["istio"];
export type ShopfrontConfig = Config["shopfront"];
export type ResilienceConfig = Config["resilience"];
export type AuthenticationConfig = Config["authentication"];
