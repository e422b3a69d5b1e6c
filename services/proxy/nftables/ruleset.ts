/**
 * The proxy's nftables ruleset as data: pure functions from the service table (and the node's
 * ranges) to chains, sets and map elements, in the shape of kube-proxy's nftables mode.
 *
 * Packet walk (all inside `table ip bosun-proxy`):
 * - nat prerouting (pods, other hosts) and nat output (this host) jump to `services`, which looks
 *   `daddr . l4proto . dport` up in the `service-ips` verdict map (ClusterIPs → the port's
 *   `service-…` chain; externalIPs and load-balancer IPs → its `external-…` chain) and, for
 *   addresses of this node, `l4proto . dport` in `service-nodeports` (→ `external-…`).
 * - `service-…` marks traffic from outside the cluster's pod range for masquerade, sends clients
 *   with a live ClientIP affinity entry to their endpoint, and picks the others' endpoint with
 *   `numgen random mod N vmap` (ports without affinity DNAT straight from a `numgen random mod N
 *   map` of endpoints and have no endpoint chains, see PortRulesBuilder.balance). `external-…` marks for masquerade (Cluster policy), or keeps the
 *   client's address and balances over this node's endpoints only (Local policy), pods and the
 *   node itself still going the cluster way.
 * - `endpoint-…` refreshes the client's affinity entry (`update @affinity-… { ip saddr }`, the
 *   set's timeout being the affinity timeout) and DNATs to the endpoint.
 * - nat postrouting marks hairpin traffic (a pod sent to itself: `saddr . daddr` in the
 *   `hairpin-endpoints` set of every endpoint's `ip . ip`) and masquerades marked packets. Filter input/forward/output (priority −110,
 *   before DNAT) look new connections up in `no-endpoint-services` / `no-endpoint-nodeports` and
 *   reject them at once (TCP reset, ICMP port unreachable otherwise); filter input also rejects
 *   whatever reaches the node for the service range without having been DNATed (the range is
 *   routed locally so that the node's own connections pass the routing decision).
 *
 * Contract: same input, same output (names are stable, lists sorted); nothing here touches the
 * kernel. A Service port with no usable endpoint gets no chains, only no-endpoint elements.
 */
import { usableEndpoints, type ServiceEndpoint, type ServicePortEntry } from '../../../lib/network/service-table';
import { affinitySetName, endpointChainName, externalChainName, serviceChainName } from './names';

/** The node's view the rules depend on (DataPathOptions, minus the logger). */
export interface RulesetConfig {
  readonly clusterCidr: string;
  readonly serviceCidr: string;
  /** Addresses or CIDRs NodePorts answer on; empty = every local address but loopback. */
  readonly nodePortAddresses: readonly string[];
  readonly localNodes: ReadonlySet<string>;
}

/** The mark bit of packets to masquerade on the way out (kube-proxy's default bit). */
export const MASQUERADE_MARK = '0x4000';
/** Chain priorities: NAT at dstnat/srcnat; filter before dstnat so rejects see the service address. */
const PRIORITY_DSTNAT = -100;
const PRIORITY_SRCNAT = 100;
const PRIORITY_FILTER = -110;

/** Fixed chains and maps. */
export const CHAIN_SERVICES = 'services';
export const CHAIN_ENDPOINTS_CHECK = 'service-endpoints-check';
export const CHAIN_CLUSTER_IPS_CHECK = 'cluster-ips-check';
export const CHAIN_MARK_FOR_MASQUERADE = 'mark-for-masquerade';
export const CHAIN_MASQUERADING = 'masquerading';
export const CHAIN_REJECT = 'reject-chain';
export const MAP_SERVICE_IPS = 'service-ips';
export const MAP_SERVICE_NODEPORTS = 'service-nodeports';
export const MAP_NO_ENDPOINT_SERVICES = 'no-endpoint-services';
export const MAP_NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
export const SET_NODEPORT_IPS = 'nodeport-ips';
/** `ip . ip` for every endpoint in rotation: a forwarded packet from an endpoint to itself is hairpin traffic. */
export const SET_HAIRPIN = 'hairpin-endpoints';

/** A chain: base chains carry their hook declaration. */
export interface ChainSpec {
  readonly name: string;
  /** e.g. "type nat hook prerouting priority -100 ; policy accept ;" (base chains only). */
  readonly hook?: string;
  readonly rules: readonly string[];
}

/** A set or map declaration, e.g. `{ type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }`. */
export interface SetSpec {
  readonly kind: 'set' | 'map';
  readonly name: string;
  readonly declaration: string;
}

/** The four maps a Service port adds elements to. */
export type ServiceMapName = typeof MAP_SERVICE_IPS | typeof MAP_SERVICE_NODEPORTS | typeof MAP_NO_ENDPOINT_SERVICES | typeof MAP_NO_ENDPOINT_NODEPORTS;

/** One verdict-map element: `key : verdict`. Keys are unique per map across the table. */
export interface MapElement {
  readonly map: ServiceMapName;
  /** e.g. "10.43.0.10 . udp . 53" or "tcp . 30080". */
  readonly key: string;
  /** e.g. "goto service-…". */
  readonly verdict: string;
}

/** What one Service port contributes to the table. */
export interface ServicePortRules {
  readonly key: string;
  readonly chains: readonly ChainSpec[];
  readonly sets: readonly SetSpec[];
  readonly elements: readonly MapElement[];
  /** Distinct endpoints in rotation (internal ∪ external). */
  readonly endpoints: readonly ServiceEndpoint[];
}

const NODEPORT_LOCAL_MATCH = 'fib daddr type local ip daddr != 127.0.0.0/8';
const KEY_TYPE_SERVICE = 'ipv4_addr . inet_proto . inet_service : verdict';
const KEY_TYPE_NODEPORT = 'inet_proto . inet_service : verdict';

function baseHook(type: 'nat' | 'filter', hook: string, priority: number): string {
  return `type ${type} hook ${hook} priority ${priority} ; policy accept ;`;
}

/** The fixed maps and sets (the nodeport-ips set only when NodePort addresses are restricted). */
export function baseSets(config: RulesetConfig): SetSpec[] {
  const maps: SetSpec[] = [
    { kind: 'map', name: MAP_SERVICE_IPS, declaration: `{ type ${KEY_TYPE_SERVICE} ; }` },
    { kind: 'map', name: MAP_SERVICE_NODEPORTS, declaration: `{ type ${KEY_TYPE_NODEPORT} ; }` },
    { kind: 'map', name: MAP_NO_ENDPOINT_SERVICES, declaration: `{ type ${KEY_TYPE_SERVICE} ; }` },
    { kind: 'map', name: MAP_NO_ENDPOINT_NODEPORTS, declaration: `{ type ${KEY_TYPE_NODEPORT} ; }` },
  ];
  maps.push({ kind: 'set', name: SET_HAIRPIN, declaration: '{ type ipv4_addr . ipv4_addr ; }' });
  if (config.nodePortAddresses.length > 0) maps.push({ kind: 'set', name: SET_NODEPORT_IPS, declaration: '{ type ipv4_addr ; flags interval ; }' });
  return maps;
}

/** Elements of the fixed sets (the NodePort addresses), by set name. */
export function baseSetElements(config: RulesetConfig): Map<string, string[]> {
  return config.nodePortAddresses.length > 0 ? new Map([[SET_NODEPORT_IPS, [...config.nodePortAddresses]]]) : new Map();
}

/** The hairpin-endpoints element of an endpoint address. */
export function hairpinElement(ip: string): string {
  return `${ip} . ${ip}`;
}

/** The distinct endpoint addresses of ports (the hairpin-endpoints set's content). */
export function endpointAddresses(ports: Iterable<ServicePortRules | undefined>): Set<string> {
  const ips = new Set<string>();
  for (const p of ports) for (const ep of p?.endpoints ?? []) ips.add(ep.ip);
  return ips;
}

/** The fixed chains: hooks, the map lookups, masquerading and rejecting. */
export function baseChains(config: RulesetConfig): ChainSpec[] {
  const nodePortMatch = config.nodePortAddresses.length > 0 ? `ip daddr @${SET_NODEPORT_IPS}` : NODEPORT_LOCAL_MATCH;
  const checkEndpoints = `ct state new jump ${CHAIN_ENDPOINTS_CHECK}`;
  return [
    { name: 'nat-prerouting', hook: baseHook('nat', 'prerouting', PRIORITY_DSTNAT), rules: [`jump ${CHAIN_SERVICES}`] },
    { name: 'nat-output', hook: baseHook('nat', 'output', PRIORITY_DSTNAT), rules: [`jump ${CHAIN_SERVICES}`] },
    {
      name: 'nat-postrouting',
      hook: baseHook('nat', 'postrouting', PRIORITY_SRCNAT),
      // After DNAT, source == destination only for a pod sent to itself: its reply must come back through the node.
      rules: [`ip saddr . ip daddr @${SET_HAIRPIN} jump ${CHAIN_MARK_FOR_MASQUERADE}`, `jump ${CHAIN_MASQUERADING}`],
    },
    { name: 'filter-input', hook: baseHook('filter', 'input', PRIORITY_FILTER), rules: [checkEndpoints, `ct state new jump ${CHAIN_CLUSTER_IPS_CHECK}`] },
    { name: 'filter-forward', hook: baseHook('filter', 'forward', PRIORITY_FILTER), rules: [checkEndpoints] },
    { name: 'filter-output', hook: baseHook('filter', 'output', PRIORITY_FILTER), rules: [checkEndpoints] },
    {
      name: CHAIN_SERVICES,
      rules: [`ip daddr . meta l4proto . th dport vmap @${MAP_SERVICE_IPS}`, `${nodePortMatch} meta l4proto . th dport vmap @${MAP_SERVICE_NODEPORTS}`],
    },
    {
      name: CHAIN_ENDPOINTS_CHECK,
      rules: [`ip daddr . meta l4proto . th dport vmap @${MAP_NO_ENDPOINT_SERVICES}`, `${nodePortMatch} meta l4proto . th dport vmap @${MAP_NO_ENDPOINT_NODEPORTS}`],
    },
    // Reached only by packets that were not DNATed: an unallocated ClusterIP, or a port the Service lacks.
    { name: CHAIN_CLUSTER_IPS_CHECK, rules: [`ip daddr ${config.serviceCidr} goto ${CHAIN_REJECT}`] },
    { name: CHAIN_MARK_FOR_MASQUERADE, rules: [`mark set mark or ${MASQUERADE_MARK}`] },
    { name: CHAIN_MASQUERADING, rules: [`mark and ${MASQUERADE_MARK} == 0 return`, `mark set mark xor ${MASQUERADE_MARK}`, 'masquerade fully-random'] },
    // A reset refuses a TCP connection at once; ICMP port unreachable does the same for UDP (and TCP clients treat it alike).
    { name: CHAIN_REJECT, rules: ['meta l4proto tcp reject with tcp reset', 'reject'] },
  ];
}

/** Builds the chains of one port; the endpoint chains are shared by the internal and external choice. */
class PortRulesBuilder {
  readonly chains: ChainSpec[] = [];
  readonly sets: SetSpec[] = [];
  private readonly endpointChains = new Map<string, string>();
  private readonly affinitySets = new Map<string, string>();
  private readonly proto: string;
  private readonly affinityTimeout: number | undefined;

  constructor(private readonly entry: ServicePortEntry) {
    this.proto = entry.protocol.toLowerCase();
    this.affinityTimeout = entry.sessionAffinity.type === 'ClientIP' ? entry.sessionAffinity.timeoutSeconds : undefined;
  }

  /**
   * Rules that send a packet to one of `endpoints`. With ClientIP affinity: a client with a live
   * entry goes back to its endpoint, the others to a random one (`numgen … vmap` over endpoint
   * chains, which refresh the entry). Without: the DNAT picks the endpoint itself from an
   * anonymous `numgen … map` — no chain per endpoint, which cuts the kernel objects of a large
   * table about fourfold (a full sync of 10k endpoints in about a third of the time). Hairpin
   * traffic is found after the choice, in nat postrouting (see SET_HAIRPIN).
   */
  balance(endpoints: readonly ServiceEndpoint[]): string[] {
    if (this.affinityTimeout === undefined) return this.inlineDnat(endpoints);
    const targets = endpoints.map((ep) => this.endpointChain(ep));
    const rules = this.affinityTimeout === undefined ? [] : endpoints.map((ep, i) => `ip saddr @${this.affinitySets.get(endpointId(ep))} goto ${targets[i]}`);
    if (targets.length === 1) rules.push(`goto ${targets[0]}`);
    else rules.push(`numgen random mod ${targets.length} vmap { ${targets.map((t, i) => `${i} : goto ${t}`).join(' , ')} }`);
    return rules;
  }

  private inlineDnat(endpoints: readonly ServiceEndpoint[]): string[] {
    const only = endpoints.length === 1 ? endpoints[0]! : undefined;
    const target = only ? `${only.ip}:${only.port}` : `numgen random mod ${endpoints.length} map { ${endpoints.map((ep, i) => `${i} : ${ep.ip} . ${ep.port}`).join(', ')} }`;
    return [`meta l4proto ${this.proto} dnat to ${target}`];
  }

  private endpointChain(ep: ServiceEndpoint): string {
    const id = endpointId(ep);
    const known = this.endpointChains.get(id);
    if (known) return known;
    const name = endpointChainName(this.entry, ep);
    const rules: string[] = [];
    if (this.affinityTimeout !== undefined) {
      const set = affinitySetName(this.entry, ep, this.affinityTimeout);
      this.affinitySets.set(id, set);
      this.sets.push({ kind: 'set', name: set, declaration: `{ type ipv4_addr ; flags dynamic,timeout ; timeout ${this.affinityTimeout}s ; }` });
      rules.push(`update @${set} { ip saddr }`);
    }
    rules.push(`meta l4proto ${this.proto} dnat to ${ep.ip}:${ep.port}`);
    this.endpointChains.set(id, name);
    this.chains.push({ name, rules });
    return name;
  }
}

function endpointId(ep: ServiceEndpoint): string {
  return `${ep.ip}:${ep.port}`;
}

function sameEndpoints(a: readonly ServiceEndpoint[], b: readonly ServiceEndpoint[]): boolean {
  return a.length === b.length && a.every((ep, i) => endpointId(ep) === endpointId(b[i]!));
}

/** The chains, affinity sets and map elements of one Service port. */
export function servicePortRules(entry: ServicePortEntry, config: RulesetConfig): ServicePortRules {
  const internal = usableEndpoints(entry, 'internal', config.localNodes);
  const external = usableEndpoints(entry, 'external', config.localNodes);
  const proto = entry.protocol.toLowerCase();
  const builder = new PortRulesBuilder(entry);
  const elements: MapElement[] = [];
  const serviceChain = serviceChainName(entry);
  const externalChain = externalChainName(entry);

  if (internal.length > 0) {
    builder.chains.push({ name: serviceChain, rules: [`ip saddr != ${config.clusterCidr} jump ${CHAIN_MARK_FOR_MASQUERADE}`, ...builder.balance(internal)] });
  }
  for (const ip of entry.clusterIPs) {
    const key = `${ip} . ${proto} . ${entry.port}`;
    elements.push(internal.length > 0 ? { map: MAP_SERVICE_IPS, key, verdict: `goto ${serviceChain}` } : { map: MAP_NO_ENDPOINT_SERVICES, key, verdict: `goto ${CHAIN_REJECT}` });
  }

  // Loopback addresses are left out: a DNAT from 127.0.0.1 never leaves the loopback (the
  // kernel refuses a loopback source on a bridge), as kube-proxy's NodePorts skip 127.0.0.0/8.
  const externalAddresses = [...new Set([...entry.externalIPs, ...entry.loadBalancerIPs])].filter((ip) => !ip.startsWith('127.'));
  if (externalAddresses.length > 0 || entry.nodePort !== undefined) {
    if (external.length > 0) builder.chains.push({ name: externalChain, rules: externalRules(entry, config, builder, internal, external, serviceChain) });
    const verdict = external.length > 0 ? `goto ${externalChain}` : `goto ${CHAIN_REJECT}`;
    for (const ip of externalAddresses) elements.push({ map: external.length > 0 ? MAP_SERVICE_IPS : MAP_NO_ENDPOINT_SERVICES, key: `${ip} . ${proto} . ${entry.port}`, verdict });
    if (entry.nodePort !== undefined) elements.push({ map: external.length > 0 ? MAP_SERVICE_NODEPORTS : MAP_NO_ENDPOINT_NODEPORTS, key: `${proto} . ${entry.nodePort}`, verdict });
  }

  const inRotation = new Map([...internal, ...external].map((ep) => [endpointId(ep), ep]));
  return { key: entry.key, chains: builder.chains, sets: builder.sets, elements, endpoints: [...inRotation.values()] };
}

/**
 * Traffic that came in by a NodePort, external or load-balancer address. Cluster policy:
 * masquerade (the reply must return through this node) and balance as from inside. Local
 * policy (kube-proxy's rules): pods and this node still use the cluster choice; everyone else
 * keeps their source address and reaches this node's endpoints only.
 */
function externalRules(
  entry: ServicePortEntry,
  config: RulesetConfig,
  builder: PortRulesBuilder,
  internal: readonly ServiceEndpoint[],
  external: readonly ServiceEndpoint[],
  serviceChain: string,
): string[] {
  if (entry.externalTrafficPolicy === 'Cluster') {
    return [`jump ${CHAIN_MARK_FOR_MASQUERADE}`, ...(sameEndpoints(internal, external) ? [`goto ${serviceChain}`] : builder.balance(external))];
  }
  const rules: string[] = [];
  if (internal.length > 0) rules.push(`ip saddr ${config.clusterCidr} goto ${serviceChain}`);
  rules.push(`fib saddr type local jump ${CHAIN_MARK_FOR_MASQUERADE}`);
  if (internal.length > 0) rules.push(`fib saddr type local goto ${serviceChain}`);
  return [...rules, ...builder.balance(external)];
}
