/**
 * The proxy's kernel data path: kube-proxy's nftables mode on `table ip bosun-proxy` (see
 * ruleset.ts for the packet walk). Implements DataPath (services/proxy/data-path.ts).
 *
 * Contract, beyond DataPath's:
 * - Only `table ip bosun-proxy` and the service range's `local` route in the local routing table
 *   are ever touched. The route is what lets this node's own connections to a ClusterIP pass the
 *   routing decision (the range sits over an `unreachable` route, which fails a connect before
 *   the output hook could DNAT it); the table's filter input chain rejects whatever reaches the
 *   node for the range without being DNATed, so the route exposes nothing.
 * - Every sync is one `nft -f -` transaction. A full sync (the first, 'all', and the next one
 *   after a failed sync) rewrites every chain and map but keeps affinity sets that are still
 *   wanted; an incremental one rewrites only the changed ports' chains and map elements.
 * - After the rules are in, conntrack entries of UDP flows to removed endpoints are deleted.
 * - stop() leaves the rules (flows keep working while the proxy is away); cleanup() deletes the
 *   table and the route.
 * - No accept rules: an nftables `accept` ends only its own base chain, so nothing in this table
 *   could undo a DROP policy that dockerd puts on iptables' FORWARD chain. The node runtime's
 *   FORWARD accepts for its bridge (pod-network.ts) carry pod and service traffic through it:
 *   after DNAT, service traffic to a pod leaves by that bridge.
 */
import type { Logger } from 'pino';
import type { ServicePortEntry, ServiceTable } from '../../../lib/network/service-table';
import type { DataPath, DataPathOptions, SyncResult } from '../data-path';
import { flushStaleUdpFlows, staleUdpFlows, type StaleUdpFlow } from './conntrack';
import { claimKey, resolveElementClaims } from './element-claims';
import { TABLE, TABLE_FAMILY, TABLE_NAME } from './names';
import { deleteNftablesTable, NodeCommands } from './node-commands';
import { endpointAddresses, servicePortRules, type RulesetConfig, type ServicePortRules } from './ruleset';
import { countRules, desiredPorts, fullSyncScript, incrementalSyncScript, type ExistingObjects, type HairpinChange, type ServicePortChange } from './transaction';

/** DataPathOptions plus what tests need (additive). */
export interface NftablesDataPathOptions extends DataPathOptions {
  /**
   * Run every command (nft, ip, conntrack) inside this network namespace (`ip netns exec NAME`):
   * tests give a namespace of their own so the host is never touched. Absent: the host.
   */
  readonly netns?: string;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const ADDRESS_OR_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/;

function checkIpv4(value: string, what: string, pattern: RegExp): void {
  const m = pattern.exec(value);
  const octetsOk = m !== null && [1, 2, 3, 4].every((i) => Number(m[i]) <= 255);
  const prefixOk = m !== null && (m[m.length - 1] === undefined || Number(m[m.length - 1]) <= 32);
  if (!octetsOk || !prefixOk) throw new Error(`nftables data path: ${what} "${value}" is not an IPv4 ${pattern === CIDR ? 'CIDR' : 'address or CIDR'}`);
}

/** The nftables data path. See the file comment. */
export class NftablesDataPath implements DataPath {
  readonly mode = 'nftables' as const;
  private readonly config: RulesetConfig;
  private readonly commands: NodeCommands;
  private readonly logger: Logger;
  /** Per Service port: what the kernel holds since the last successful sync (claims resolved). */
  private installed = new Map<string, ServicePortRules>();
  /** Per Service port: the entry it was built from (for stale UDP flows). */
  private entries = new Map<string, ServicePortEntry>();
  /** Endpoint address → how many installed ports have it in rotation (the hairpin set holds those above 0). */
  private hairpinRefs = new Map<string, number>();
  /** Map key → the port holding it. */
  private claims = new Map<string, string>();
  private fullSyncNeeded = true;
  /** Whether `installed` is all the table holds (false after start or a failed sync: list the kernel's objects first). */
  private installedIsComplete = false;
  /** The last full sync dropped conflicting elements: keep syncing fully until that resolves. */
  private conflicted = false;

  /** Throws when a range or NodePort address is not IPv4 (bad flags must fail at start-up, clearly). */
  constructor(options: NftablesDataPathOptions) {
    checkIpv4(options.serviceCidr, 'service CIDR', CIDR);
    checkIpv4(options.clusterCidr, 'cluster CIDR', CIDR);
    for (const a of options.nodePortAddresses) checkIpv4(a, 'NodePort address', ADDRESS_OR_CIDR);
    this.config = { clusterCidr: options.clusterCidr, serviceCidr: options.serviceCidr, nodePortAddresses: [...options.nodePortAddresses], localNodes: options.localNodes };
    this.commands = new NodeCommands(options.netns);
    this.logger = options.logger.child({ dataPath: 'nftables' });
  }

  /** Routes the service range locally (see the file comment) and checks nft works. */
  async start(): Promise<void> {
    await this.commands.run('ip', ['route', 'replace', 'local', this.config.serviceCidr, 'dev', 'lo', 'table', 'local']);
    await this.commands.nftScript(`add table ${TABLE}\n`);
    this.fullSyncNeeded = true;
    this.installedIsComplete = false;
  }

  async sync(table: ServiceTable, changed: ReadonlySet<string> | 'all'): Promise<SyncResult> {
    const startedAt = process.hrtime.bigint();
    const incremental = changed !== 'all' && !this.fullSyncNeeded && !this.conflicted ? this.planIncremental(table, changed) : undefined;
    // The entries as they were (an incremental sync updates the map in place; a full one replaces it).
    const before = incremental ? new Map([...incremental.keys].map((key) => [key, this.entries.get(key)])) : this.entries;
    let touched: Iterable<string>;
    try {
      if (incremental) {
        const hairpin = this.hairpinChange(incremental.changes);
        const script = incrementalSyncScript(incremental.changes, hairpin);
        if (script !== '') await this.commands.nftScript(script);
        this.commitIncremental(incremental.changes, table);
        touched = incremental.keys;
      } else {
        await this.fullSync(table);
        touched = new Set([...before.keys(), ...this.entries.keys()]);
      }
    } catch (err) {
      // The kernel may not be what we think: rebuild next time, from its own listing.
      this.fullSyncNeeded = true;
      this.installedIsComplete = false;
      throw err;
    }
    const flows: StaleUdpFlow[] = [];
    for (const key of touched) flows.push(...staleUdpFlows(before.get(key), this.entries.get(key), this.config.localNodes));
    if (flows.length > 0) await flushStaleUdpFlows(this.commands, flows, this.logger);
    const result = this.result();
    this.logger.debug({ full: !incremental, ms: Number(process.hrtime.bigint() - startedAt) / 1e6, ...result }, 'synced');
    return result;
  }

  /** Nothing to stop: the kernel keeps serving (kube-proxy leaves its rules on exit too). */
  async stop(): Promise<void> {}

  /** Deletes the table and the service range's local route. */
  async cleanup(): Promise<void> {
    await deleteNftablesTable(this.commands);
    await this.commands.run('ip', ['route', 'del', 'local', this.config.serviceCidr, 'dev', 'lo', 'table', 'local']).catch(() => undefined);
    this.installed = new Map();
    this.entries = new Map();
    this.claims = new Map();
    this.hairpinRefs = new Map();
    this.fullSyncNeeded = true;
  }

  private async fullSync(table: ServiceTable): Promise<void> {
    const entries = table.entries();
    const { ports, conflicts } = desiredPorts(entries, this.config);
    for (const c of conflicts) this.logger.warn(c, 'service port address already taken by another service port; skipped');
    const existing = this.installedIsComplete ? this.installedObjects() : await this.listExisting();
    await this.commands.nftScript(fullSyncScript(this.config, ports, existing));
    this.installed = new Map(ports.map((p) => [p.key, p]));
    this.entries = new Map(entries.map((e) => [e.key, e]));
    this.claims = new Map(ports.flatMap((p) => p.elements.map((e) => [claimKey(e), p.key] as const)));
    this.hairpinRefs = new Map();
    for (const p of ports) this.countHairpin(p, 1);
    this.conflicted = conflicts.length > 0;
    this.fullSyncNeeded = false;
    this.installedIsComplete = true;
  }

  /** The per-port chains and sets this process installed (the fixed ones are always wanted). */
  private installedObjects(): ExistingObjects {
    const ports = [...this.installed.values()];
    return { chains: ports.flatMap((p) => p.chains.map((c) => c.name)), sets: ports.flatMap((p) => p.sets.map((s) => s.name)) };
  }

  /** The changes of an incremental sync, or undefined when a port would take another's map key (a full sync sorts that out). */
  private planIncremental(table: ServiceTable, changed: ReadonlySet<string>): { keys: ReadonlySet<string>; changes: ServicePortChange[] } | undefined {
    const afters = [...changed].map((key) => table.get(key)).filter((e): e is ServicePortEntry => e !== undefined).map((e) => servicePortRules(e, this.config));
    if (resolveElementClaims(afters).conflicts.length > 0) return undefined;
    for (const port of afters) {
      for (const e of port.elements) {
        const owner = this.claims.get(claimKey(e));
        if (owner !== undefined && owner !== port.key && !changed.has(owner)) return undefined;
      }
    }
    const afterByKey = new Map(afters.map((p) => [p.key, p]));
    const changes = [...changed].map((key) => ({ before: this.installed.get(key), after: afterByKey.get(key) })).filter((c) => c.before || c.after);
    return { keys: changed, changes };
  }

  /** Adds `delta` to the references of `port`'s endpoint addresses. */
  private countHairpin(port: ServicePortRules | undefined, delta: 1 | -1, refs = this.hairpinRefs): void {
    for (const ip of endpointAddresses([port])) {
      const n = (refs.get(ip) ?? 0) + delta;
      if (n === 0) refs.delete(ip);
      else refs.set(ip, n);
    }
  }

  /** The endpoint addresses `changes` bring into or take out of every port's rotation. */
  private hairpinChange(changes: readonly ServicePortChange[]): HairpinChange {
    const refs = new Map(this.hairpinRefs);
    for (const c of changes) {
      this.countHairpin(c.before, -1, refs);
      this.countHairpin(c.after, 1, refs);
    }
    return { add: [...refs.keys()].filter((ip) => !this.hairpinRefs.has(ip)), remove: [...this.hairpinRefs.keys()].filter((ip) => !refs.has(ip)) };
  }

  private commitIncremental(changes: readonly ServicePortChange[], table: ServiceTable): void {
    for (const { before } of changes) {
      this.countHairpin(before, -1);
      if (!before) continue;
      for (const e of before.elements) if (this.claims.get(claimKey(e)) === before.key) this.claims.delete(claimKey(e));
      this.installed.delete(before.key);
      this.entries.delete(before.key);
    }
    for (const { after } of changes) {
      this.countHairpin(after, 1);
      if (!after) continue;
      for (const e of after.elements) this.claims.set(claimKey(e), after.key);
      this.installed.set(after.key, after);
      this.entries.set(after.key, table.get(after.key)!);
    }
  }

  /** The table's chains and sets as the kernel holds them (stale ones are deleted by a full sync). */
  private async listExisting(): Promise<ExistingObjects> {
    // One nft process for both listings (nft 1.0's JSON output skips listings read from a script,
    // so this reads the terse text form: `table ip NAME {` then a `chain NAME {` / `set NAME {` line per object).
    const output = await this.commands.run('nft', ['-t', '-f', '-'], `list chains ${TABLE_FAMILY}\nlist sets ${TABLE_FAMILY}\n`);
    const existing = { chains: [] as string[], sets: [] as string[] };
    let inOurTable = false;
    for (const line of output.split('\n')) {
      const table = /^table \S+ (\S+) \{$/.exec(line);
      if (table) inOurTable = table[1] === TABLE_NAME;
      const object = inOurTable ? /^\s+(chain|set) (\S+) \{$/.exec(line) : null;
      if (object) (object[1] === 'chain' ? existing.chains : existing.sets).push(object[2]!);
    }
    return existing;
  }

  private result(): SyncResult {
    let endpoints = 0;
    for (const p of this.installed.values()) endpoints += p.endpoints.length;
    return { servicePorts: this.installed.size, endpoints, rules: countRules(this.config, this.installed.values()) };
  }
}

export { deleteNftablesTable } from './node-commands';
