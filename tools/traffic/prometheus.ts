/**
 * The one question `mirror` asks Prometheus: how many requests each version of the shopfront has
 * received, by Istio's standard metric as the destination reports it (each pod's sidecar). A counter
 * per pod, summed by the pod's `version` label; its increase over a run is what the run delivered.
 */
import { request } from "undici";
import { UsageError } from "../command-line";
import { causeOf } from "./engine/outcome";

/** Requests received, by version, as the destination's sidecar counts them (mirrored ones included). */
export const RECEIVED_QUERY =
  'sum by (destination_version) (istio_requests_total{reporter="destination",destination_app="shopfront"})';

/** A Prometheus that does not answer in this long is treated as unreachable. */
const QUERY_TIMEOUT_MS = 10_000;

interface QueryAnswer {
  readonly status?: string;
  readonly errorType?: string;
  readonly error?: string;
  readonly data?: {
    readonly result?: readonly { metric?: Record<string, string>; value?: [number, string] }[];
  };
}

/**
 * The counts now, by version, from Prometheus's instant query API at `base`. Unreachable, or a refusal
 * of the query, is a UsageError naming the URL and the cause.
 */
export async function receivedByVersion(base: URL): Promise<Record<string, number>> {
  const url = new URL("api/v1/query", base.href.endsWith("/") ? base : new URL(`${base.href}/`));
  url.searchParams.set("query", RECEIVED_QUERY);
  let answer: QueryAnswer;
  try {
    // undici's request rather than fetch, which refuses the ports of its "bad port" list.
    const response = await request(url, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
    answer = (await response.body.json()) as QueryAnswer;
  } catch (error) {
    throw new UsageError(`cannot query Prometheus at ${base.href}: ${causeOf(error)}`);
  }
  if (answer.status !== "success") {
    throw new UsageError(
      `Prometheus at ${base.href} refused the query ${RECEIVED_QUERY}: ${answer.errorType ?? "error"}: ${answer.error ?? "no reason given"}`,
    );
  }
  const counts: Record<string, number> = {};
  for (const { metric, value } of answer.data?.result ?? []) {
    const version = metric?.destination_version;
    if (version === undefined || value === undefined) continue;
    counts[version] = Number(value[1]);
  }
  return counts;
}
