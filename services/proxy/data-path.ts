/**
 * The boundary between the proxy's control loop (informers → ServiceTable → rate-limited
 * syncs) and the two ways it moves packets: `userspace` (the proxy accepts connections and
 * datagrams on every ClusterIP:port, NodePort and external address itself) and `nftables`
 * (kube-proxy's nftables mode: DNAT maps in the kernel). Both give one behaviour and pass one
 * test suite.
 *
 * Contract:
 * - `start()` prepares the node once (routes, the nft table, sysctls) and removes what the
 *   other data path left behind, so switching modes across restarts is clean.
 * - `sync(table, changed)` brings the data path in line with the whole table; `changed` names
 *   the entry keys touched since the previous sync (an implementation may use it to do less),
 *   or is 'all' for a full resync. A sync is never half-applied: when it throws, the previous
 *   state still serves and the caller retries later.
 * - `stop()` stops serving what this process serves itself (userspace listeners). Kernel rules
 *   stay in place — kube-proxy leaves them on exit, so established and new flows keep working
 *   while the proxy restarts; the next start reconverges them.
 * - `cleanup()` (`bosun proxy --cleanup`) removes everything the data path ever installed.
 */
import type { Logger } from 'pino';
import type { ServiceTable } from '../../lib/network/service-table';

/** The data path's name, as `bosun proxy --mode` takes it. */
export type ProxyMode = 'userspace' | 'nftables';

/** What every data path is built with. */
export interface DataPathOptions {
  /**
   * The nodes whose pods share this network namespace: "local" endpoints for Local traffic
   * policies (one proxy serves every node of an embedded cluster, whose nodes share the host's
   * network namespace; under compose each node container has its own).
   */
  readonly localNodes: ReadonlySet<string>;
  /** The service range made local / guarded (default 10.43.0.0/16). */
  readonly serviceCidr: string;
  /** The cluster's pod range (default 10.42.0.0/16): traffic from outside it is masqueraded. */
  readonly clusterCidr: string;
  /** Addresses NodePorts listen on; empty = every local address (kube-proxy's default). */
  readonly nodePortAddresses: readonly string[];
  readonly logger: Logger;
}

/** Figures of one sync, for the status API and metrics. */
export interface SyncResult {
  /** Service ports served after the sync. */
  readonly servicePorts: number;
  /** Endpoints in rotation after the sync (over every served port). */
  readonly endpoints: number;
  /** Kernel rules written (nftables), or listeners open (userspace). */
  readonly rules: number;
}

/** One data path. See the file comment. */
export interface DataPath {
  readonly mode: ProxyMode;
  start(): Promise<void>;
  sync(table: ServiceTable, changed: ReadonlySet<string> | 'all'): Promise<SyncResult>;
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}
