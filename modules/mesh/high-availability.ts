/**
 * What "highly available" means for the mesh's own workloads (istiod, the ingress proxies, the
 * waypoint) with MESH_PROFILE=production, in one place: two replicas, spread over the availability
 * zones, with a disruption budget that keeps one through a drain. Used by the Helm values of
 * modules/mesh/istio.ts and the Gateway API patches of modules/shopfront/ingress.ts.
 */

/** Replicas of a highly available workload; one otherwise. */
export function replicasFor(highlyAvailable: boolean): number {
  return highlyAvailable ? 2 : 1;
}

/** The PodDisruptionBudget's spec: one pod may go at a time. */
export const KEEP_ONE_AVAILABLE = { minAvailable: 1 } as const;

/** Spread a workload's pods over the availability zones, without ever leaving one unscheduled. */
export function zoneSpread(matchLabels: Readonly<Record<string, string>>) {
  return [
    {
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels },
    },
  ];
}
