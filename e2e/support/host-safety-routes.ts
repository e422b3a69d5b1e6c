/**
 * `unreachable` routes on the test machine itself over the cluster's pod and service ranges, for
 * clusters whose pod networks live inside containers (compose): the node containers hold their
 * own, but a packet any other container sends to those ranges is forwarded by the host, and
 * without a route of the host's own it would leave by the default route. With these, the host
 * refuses it. Only routes this call added are removed again.
 */
import { CLUSTER_POD_RANGE, ensureUnreachableRoute, removeUnreachableRoute, SERVICE_RANGE } from '../../services/node-agent/runtime/process/pod-network';

/** The cluster's pod and service ranges (compose.yaml runs with the defaults). */
export const COMPOSE_CLUSTER_RANGES: readonly string[] = [CLUSTER_POD_RANGE, SERVICE_RANGE];

/** Adds each missing `unreachable RANGE` route; resolves with the call that removes those it added. */
export async function guardClusterRanges(ranges: readonly string[]): Promise<() => Promise<void>> {
  const added: string[] = [];
  for (const range of ranges) if (await ensureUnreachableRoute(range)) added.push(range);
  return async () => {
    for (const range of added) await removeUnreachableRoute(range);
  };
}
