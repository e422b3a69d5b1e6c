/**
 * The userspace data path (kube-proxy's former `userspace` mode, done with the service range
 * made local instead of iptables redirects): the proxy itself listens on every virtual address
 * of every Service port and relays connections and datagrams to endpoints.
 *
 * Per Service port entry it serves these frontends:
 * - each ClusterIP:port — `internal` traffic (internalTrafficPolicy);
 * - each externalIP:port and load-balancer IP:port, and the NodePort on every
 *   `nodePortAddresses` entry (0.0.0.0 when none) — `external` traffic (externalTrafficPolicy).
 * A frontend whose traffic has no usable endpoint is not open at all, so the kernel refuses a
 * connection to it at once (the service range is local) — kube-proxy's REJECT.
 *
 * Node setup (`manageLocalRoute`, default when root): `ip route replace local <serviceCidr> dev
 * lo table local`, so any ClusterIP can be bound and an unserved one refuses; `cleanup()`
 * removes the route. Syncs are incremental: only the frontends of the changed keys are opened or
 * closed; endpoint changes update the rotation in place (open connections continue).
 * A frontend that cannot be bound (address in use, address not local) is logged and left out;
 * the next full resync tries again.
 */
import { type Clock, realClock } from '../../../lib/client/clock';
import { type ServiceEndpoint, type ServicePortEntry, type ServiceTable, usableEndpoints } from '../../../lib/network/service-table';
import { runCommand } from '../../../lib/run-command';
import type { DataPath, DataPathOptions, SyncResult } from '../data-path';
import { endpointAddress, EndpointPicker } from './endpoint-picker';
import { TcpFrontend } from './tcp-frontend';
import { UdpFrontend } from './udp-frontend';

/** Where NodePorts listen when no `nodePortAddresses` are given: every local address. */
export const ALL_ADDRESSES = '0.0.0.0';

/** Options of the userspace data path. */
export interface UserspaceDataPathOptions extends DataPathOptions {
  readonly clock?: Clock;
  /** Make the service range local on start and remove it on cleanup (default: when running as root). */
  readonly manageLocalRoute?: boolean;
  /** UDP session idle timeout, ms (default UDP_SESSION_IDLE_TIMEOUT_MS). */
  readonly udpIdleTimeoutMs?: number;
}

/** Which traffic policy governs a frontend. */
type Traffic = 'internal' | 'external';

/** One address:port a Service port is served on. */
interface FrontendSpec {
  /** "PROTO address:port" — unique per socket. */
  readonly id: string;
  readonly protocol: 'TCP' | 'UDP';
  readonly address: string;
  readonly port: number;
  readonly traffic: Traffic;
}

interface OpenFrontend {
  readonly spec: FrontendSpec;
  readonly owner: string;
  readonly socket: TcpFrontend | UdpFrontend;
}

/** The frontends a Service port entry is served on (usable endpoints aside). */
export function frontendSpecsOf(entry: ServicePortEntry, nodePortAddresses: readonly string[]): FrontendSpec[] {
  if (entry.protocol === 'SCTP') return [];
  const protocol = entry.protocol;
  const spec = (address: string, port: number, traffic: Traffic): FrontendSpec => ({ id: `${protocol} ${address}:${port}`, protocol, address, port, traffic });
  const specs = entry.clusterIPs.map((ip) => spec(ip, entry.port, 'internal'));
  for (const ip of [...entry.externalIPs, ...entry.loadBalancerIPs]) specs.push(spec(ip, entry.port, 'external'));
  if (entry.nodePort) for (const address of nodePortAddresses.length > 0 ? nodePortAddresses : [ALL_ADDRESSES]) specs.push(spec(address, entry.nodePort, 'external'));
  const unique = new Map(specs.map((s) => [s.id, s]));
  return [...unique.values()];
}

/** The userspace DataPath. See the file comment. */
export class UserspaceDataPath implements DataPath {
  readonly mode = 'userspace' as const;
  private readonly clock: Clock;
  private readonly manageLocalRoute: boolean;
  /** "entryKey traffic" → the picker shared by that entry's frontends of that traffic. */
  private readonly pickers = new Map<string, EndpointPicker>();
  private readonly frontends = new Map<string, OpenFrontend>();
  /** entry key → ids of the frontends it should have (open or not). */
  private readonly wanted = new Map<string, Set<string>>();
  private stopped = false;

  constructor(private readonly options: UserspaceDataPathOptions) {
    this.clock = options.clock ?? realClock;
    this.manageLocalRoute = options.manageLocalRoute ?? process.getuid?.() === 0;
  }

  async start(): Promise<void> {
    if (!this.manageLocalRoute) return;
    await runCommand('ip', ['route', 'replace', 'local', this.options.serviceCidr, 'dev', 'lo', 'table', 'local']);
    this.options.logger.info({ serviceCidr: this.options.serviceCidr }, 'service range made local (ip route ... table local)');
  }

  async sync(table: ServiceTable, changed: ReadonlySet<string> | 'all'): Promise<SyncResult> {
    if (this.stopped) throw new Error('userspace data path: stopped');
    const keys = changed === 'all' ? new Set([...table.entries().map((e) => e.key), ...this.wanted.keys()]) : changed;
    for (const key of keys) await this.syncEntry(key, table.get(key));
    let endpoints = 0;
    for (const key of this.wanted.keys()) endpoints += new Set([...this.rotation(key, 'internal'), ...this.rotation(key, 'external')].map(endpointAddress)).size;
    return { servicePorts: this.wanted.size, endpoints, rules: this.frontends.size };
  }

  /** The frontends open now, "PROTO address:port" → entry key (status API and tests). */
  openFrontends(): Map<string, string> {
    return new Map([...this.frontends].map(([id, f]) => [id, f.owner]));
  }

  /** The endpoints in rotation for `key`'s `traffic`. */
  rotation(key: string, traffic: Traffic): readonly ServiceEndpoint[] {
    return this.pickers.get(`${key} ${traffic}`)?.current() ?? [];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.frontends.values()];
    this.frontends.clear();
    await Promise.all(all.map((f) => closeFrontend(f, true)));
  }

  async cleanup(): Promise<void> {
    await this.stop();
    if (!this.manageLocalRoute) return;
    await runCommand('ip', ['route', 'del', 'local', this.options.serviceCidr, 'dev', 'lo', 'table', 'local']).catch(() => undefined);
  }

  /** Brings the frontends and pickers of one entry in line with it (entry undefined: removed). */
  private async syncEntry(key: string, entry: ServicePortEntry | undefined): Promise<void> {
    const desired = new Map<string, FrontendSpec>();
    const usable = new Map<Traffic, ServiceEndpoint[]>();
    for (const traffic of ['internal', 'external'] as const) {
      const pickerKey = `${key} ${traffic}`;
      const endpoints = entry ? usableEndpoints(entry, traffic, this.options.localNodes) : [];
      usable.set(traffic, endpoints);
      if (endpoints.length === 0 || !entry) {
        this.pickers.delete(pickerKey);
        continue;
      }
      let picker = this.pickers.get(pickerKey);
      if (!picker) this.pickers.set(pickerKey, (picker = new EndpointPicker(entry.sessionAffinity, this.clock)));
      picker.update(endpoints, entry.sessionAffinity);
    }
    if (entry) for (const spec of frontendSpecsOf(entry, this.options.nodePortAddresses)) if (usable.get(spec.traffic)!.length > 0) desired.set(spec.id, spec);
    if (entry) this.wanted.set(key, new Set(desired.keys()));
    else this.wanted.delete(key);

    for (const [id, open] of [...this.frontends]) {
      if (open.owner !== key) continue;
      const spec = desired.get(id);
      if (spec && spec.traffic === open.spec.traffic) {
        if (open.socket instanceof UdpFrontend) open.socket.dropSessionsNotIn(new Set(usable.get(spec.traffic)!.map(endpointAddress)));
        continue;
      }
      this.frontends.delete(id);
      await closeFrontend(open, false);
    }
    for (const spec of desired.values()) {
      if (this.frontends.has(spec.id)) {
        const holder = this.frontends.get(spec.id)!.owner;
        if (holder !== key) this.options.logger.warn({ frontend: spec.id, key, holder }, 'address:port already served for another service port; skipped');
        continue;
      }
      const picker = this.pickers.get(`${key} ${spec.traffic}`)!;
      try {
        const socket =
          spec.protocol === 'TCP'
            ? await TcpFrontend.listen(spec.address, spec.port, picker, this.options.logger)
            : await UdpFrontend.bind(spec.address, spec.port, picker, this.clock, this.options.logger, this.options.udpIdleTimeoutMs);
        this.frontends.set(spec.id, { spec, owner: key, socket });
      } catch (err) {
        this.options.logger.warn({ frontend: spec.id, key, err: (err as Error).message }, 'cannot open frontend; retrying at the next full resync');
      }
    }
  }
}

function closeFrontend(f: OpenFrontend, destroyConnections: boolean): Promise<void> {
  return f.socket instanceof TcpFrontend ? f.socket.close(destroyConnections) : f.socket.close();
}
