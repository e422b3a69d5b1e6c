/**
 * Stale UDP conntrack entries, as kube-proxy clears them. A UDP "connection" never ends by
 * itself: the conntrack entry of a client whose endpoint went away keeps DNATing its datagrams
 * to the dead address, and one created while the Service had no endpoint keeps them from being
 * balanced. TCP is left alone (a dead endpoint's connections reset or time out on their own).
 *
 * Contract: `staleUdpFlows` is pure; `flushStaleUdpFlows` runs `conntrack -D` per flow after
 * the rules that stop creating such entries are in place, never throws, and logs what failed.
 */
import type { Logger } from 'pino';
import { usableEndpoints, type ServicePortEntry } from '../../../lib/network/service-table';
import { CommandError } from '../../../lib/run-command';
import type { NodeCommands } from './node-commands';

/** One `conntrack -D` filter: UDP flows to a virtual address or node port, optionally only those DNATed to one endpoint. */
export interface StaleUdpFlow {
  readonly origDst?: string;
  readonly origPortDst?: number;
  readonly dnatTo?: string;
}

/** Deletions running at once. */
const CONNTRACK_CONCURRENCY = 4;

function endpointIps(entry: ServicePortEntry | undefined, localNodes: ReadonlySet<string>): Set<string> {
  if (!entry) return new Set();
  return new Set([...usableEndpoints(entry, 'internal', localNodes), ...usableEndpoints(entry, 'external', localNodes)].map((e) => e.ip));
}

/**
 * The UDP flows to forget after a Service port changed from `before` to `after` (either absent
 * for an added or removed port): flows DNATed to an endpoint no longer in rotation, and every
 * flow to the port's addresses when it gains its first endpoint.
 */
export function staleUdpFlows(before: ServicePortEntry | undefined, after: ServicePortEntry | undefined, localNodes: ReadonlySet<string>): StaleUdpFlow[] {
  const entry = before ?? after;
  if (!entry || entry.protocol !== 'UDP') return [];
  const old = endpointIps(before, localNodes);
  const now = endpointIps(after, localNodes);
  const flows: StaleUdpFlow[] = [];
  const addressesOf = (e: ServicePortEntry | undefined) => (e ? [...e.clusterIPs, ...e.externalIPs, ...e.loadBalancerIPs] : []);
  const removed = [...old].filter((ip) => !now.has(ip));
  for (const ip of removed) {
    for (const address of addressesOf(before)) flows.push({ origDst: address, dnatTo: ip });
    if (before?.nodePort !== undefined) flows.push({ origPortDst: before.nodePort, dnatTo: ip });
  }
  if (old.size === 0 && now.size > 0) {
    for (const address of addressesOf(after)) flows.push({ origDst: address });
    if (after?.nodePort !== undefined) flows.push({ origPortDst: after.nodePort });
  }
  return flows;
}

function conntrackArgs(flow: StaleUdpFlow): string[] {
  const args = ['-D', '-p', 'udp'];
  if (flow.origDst !== undefined) args.push('--orig-dst', flow.origDst);
  if (flow.origPortDst !== undefined) args.push('--orig-port-dst', String(flow.origPortDst));
  if (flow.dnatTo !== undefined) args.push('--dst-nat', flow.dnatTo);
  return args;
}

/** conntrack exits 1 when no entry matched: that is success here. */
function nothingMatched(err: unknown): boolean {
  return err instanceof CommandError && err.exitCode === 1 && /0 flow entries/.test(err.stderr);
}

/** Deletes the flows' conntrack entries. Never throws. */
export async function flushStaleUdpFlows(commands: NodeCommands, flows: readonly StaleUdpFlow[], logger: Logger): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < flows.length) {
      const flow = flows[next++]!;
      try {
        await commands.run('conntrack', conntrackArgs(flow));
      } catch (err) {
        if (!nothingMatched(err)) logger.warn({ flow, err: (err as Error).message }, 'could not delete stale UDP conntrack entries');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNTRACK_CONCURRENCY, flows.length) }, worker));
}
