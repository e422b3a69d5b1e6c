/**
 * Routes to the other nodes' pod ranges when the nodes are separate hosts (compose's node
 * containers, several machines): for every other Node with a spec.podCIDR and an InternalIP that
 * is not this node's own, `ip route replace <podCIDR> via <InternalIP>`, kept in sync from a Node
 * informer; routes it added for Nodes that went away or moved are deleted. Nodes sharing this
 * node's address (`bosun up` on one machine) are left alone: their bridges are on this host.
 * The routes are more specific than the cluster range's `unreachable` route, so only the pod
 * ranges of known nodes leave the host, and only towards those nodes.
 */
import { RESOURCES } from '../../../lib/api/resources';
import type { GrpcClientTls } from '../../../lib/grpc/tls';
import type { Node } from '../../../lib/api/types';
import { listerWatcherFor } from '../../../lib/client/api-adapters';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { SharedInformer } from '../../../lib/client/informer';
import type { Logger } from '../../../lib/logger';
import { runCommand } from '../../../lib/run-command';

/** One route: a node's pod range via that node's address. */
export interface PeerRoute {
  readonly cidr: string;
  readonly via: string;
  /** The Node it leads to (for logs). */
  readonly node: string;
}

/** Runs `ip` with these arguments (resolves with stdout; rejects when it fails). */
export type IpCommand = (args: string[]) => Promise<string>;

/** The InternalIP of a Node ('' when it reports none). */
export function internalIpOf(node: Node): string {
  const addresses = (node.status as { addresses?: { type?: string; address?: string }[] } | undefined)?.addresses ?? [];
  return addresses.find((a) => a.type === 'InternalIP')?.address ?? '';
}

/** The routes this node needs: one per other Node on another address with a pod range, sorted by range. */
export function desiredPeerRoutes(nodes: readonly Node[], self: { readonly name: string; readonly address: string }): PeerRoute[] {
  const routes: PeerRoute[] = [];
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    const spec = node.spec as { podCIDR?: string; podCIDRs?: string[] } | undefined;
    const cidr = spec?.podCIDR ?? spec?.podCIDRs?.[0] ?? '';
    const via = internalIpOf(node);
    if (name === self.name || cidr === '' || via === '' || via === self.address) continue;
    routes.push({ cidr, via, node: name });
  }
  return routes.sort((a, b) => a.cidr.localeCompare(b.cidr));
}

/** Keeps the host's routes to the other nodes' pod ranges equal to {@link desiredPeerRoutes}. See the file comment. */
export class PeerPodRoutes {
  /** What this process installed, by range → via. */
  private readonly installed = new Map<string, string>();
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly nodes: SharedInformer<Node>,
    private readonly self: { readonly name: string; readonly address: string },
    private readonly ip: IpCommand,
    private readonly logger: Logger,
  ) {}

  /** Follows the informer (the caller runs it): every Node change re-syncs the routes. */
  start(): void {
    const resync = () => this.requestSync();
    this.nodes.addEventHandler({ onAdd: resync, onUpdate: resync, onDelete: resync });
  }

  /** Stops syncing and removes the routes it installed. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.syncing;
    for (const [cidr, via] of this.installed) await this.ip(['route', 'del', cidr, 'via', via]).catch(() => undefined);
    this.installed.clear();
  }

  /** Queues one sync after the running one (syncs never overlap); resolves when it ran. */
  requestSync(): Promise<void> {
    this.syncing = this.syncing.then(() => (this.stopped ? undefined : this.sync()));
    return this.syncing;
  }

  private async sync(): Promise<void> {
    const want = desiredPeerRoutes(this.nodes.lister.list(), this.self);
    const wanted = new Set(want.map((r) => r.cidr));
    for (const [cidr, via] of [...this.installed]) {
      if (wanted.has(cidr)) continue;
      await this.ip(['route', 'del', cidr, 'via', via]).catch(() => undefined);
      this.installed.delete(cidr);
      this.logger.info({ cidr, via }, 'route to a departed node\'s pods removed');
    }
    for (const r of want) {
      if (this.installed.get(r.cidr) === r.via) continue;
      try {
        await this.ip(['route', 'replace', r.cidr, 'via', r.via]);
        this.installed.set(r.cidr, r.via);
        this.logger.info({ cidr: r.cidr, via: r.via, node: r.node }, 'route to another node\'s pods');
      } catch (err) {
        // Tried again on the next Node event (status heartbeats come often).
        this.logger.warn({ cidr: r.cidr, via: r.via, err: (err as Error).message }, 'cannot route to another node\'s pods');
      }
    }
  }
}

/**
 * Watches every Node through its own API connection and keeps this host's peer routes with
 * the `ip` tool (root). Resolves with the stop function (which removes the routes).
 */
export function startPeerPodRoutes(api: { readonly endpoints: readonly string[]; readonly token?: string; readonly tls?: GrpcClientTls }, self: { readonly name: string; readonly address: string }, logger: Logger): () => Promise<void> {
  const client = new GrpcApiClient({ endpoints: [...api.endpoints], token: api.token, tls: api.tls });
  const informer = new SharedInformer<Node>(listerWatcherFor(client.resource<Node>(RESOURCES.nodes), {}), { logger });
  const routes = new PeerPodRoutes(informer, self, (args) => runCommand('ip', args), logger.child({ part: 'peer-pod-routes' }));
  routes.start();
  informer.run();
  return async () => {
    informer.stop();
    await routes.stop();
    client.close();
  };
}
