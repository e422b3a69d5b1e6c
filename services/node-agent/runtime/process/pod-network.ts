/**
 * The node's pod network as the process runtime builds it (root only): one bridge per node with
 * the podCIDR's gateway address, `unreachable` routes over the cluster's pod and service ranges
 * (so an address nobody holds fails at once and nothing for them leaves the machine), IP
 * forwarding on; per sandbox a network namespace (`ip netns`) with a veth into the bridge, its
 * address, lo up and a default route via the gateway. All through the `ip` tool.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gatewayOf, parseCidr } from './ipam';
import { CommandError, runCommand } from '../../../../lib/run-command';

/** The cluster's pod range and service range (ARCHITECTURE.md "Networking on one machine"). */
export const CLUSTER_POD_RANGE = '10.42.0.0/16';
export const SERVICE_RANGE = '10.43.0.0/16';
const IP_FORWARD_FILE = '/proc/sys/net/ipv4/ip_forward';
/** Linux interface names hold at most 15 characters. */
export const IFNAME_MAX_CHARS = 15;
export const NETNS_DIR = '/var/run/netns';

/** The bridge of a node: `bsn-` + 8 hex digits of the node name's hash (always ≤ 15 characters). */
export function bridgeNameFor(nodeName: string): string {
  return `bsn-${createHash('sha256').update(nodeName).digest('hex').slice(0, 8)}`;
}

/** Names of a sandbox's network objects, from its id (unique to this machine). */
export function sandboxNetNames(sandboxId: string): { netns: string; hostVeth: string; peerVeth: string } {
  const short = sandboxId.slice(0, 12);
  return { netns: `bosun-${short}`, hostVeth: `vb${short}`, peerVeth: `vp${short}` };
}

export function netnsPath(netns: string): string {
  return `${NETNS_DIR}/${netns}`;
}

/**
 * Whether `file` (an `ip netns` name's file) still holds a network namespace: a bind mount of one,
 * on another device than its folder. When the namespace that held the bridge went away (a node
 * container killed and started again), the file is gone or lingers as a plain empty file that
 * nothing can join.
 */
export function holdsNetns(file: string): boolean {
  try {
    return fs.statSync(file).dev !== fs.statSync(path.dirname(file)).dev;
  } catch {
    return false;
  }
}

async function ip(args: string[]): Promise<string> {
  return runCommand('ip', args);
}

async function linkExists(name: string): Promise<boolean> {
  try {
    await ip(['link', 'show', 'dev', name]);
    return true;
  } catch {
    return false;
  }
}

/** Adds `unreachable RANGE` unless some route for exactly that range exists; true when this call added it. */
export async function ensureUnreachableRoute(range: string): Promise<boolean> {
  if ((await ip(['route', 'show', 'exact', range])).trim() !== '') return false;
  try {
    await ip(['route', 'add', 'unreachable', range]);
    return true;
  } catch (err) {
    if (!(err instanceof CommandError && /File exists/.test(err.stderr))) throw err;
    return false;
  }
}

/** Removes the `unreachable RANGE` route (one ensureUnreachableRoute added); absent is fine. */
export async function removeUnreachableRoute(range: string): Promise<void> {
  await ip(['route', 'del', 'unreachable', range]).catch(() => undefined);
}

/** The bridge `name` with the gateway of `podCIDR`, up; the safety routes; forwarding on. Idempotent. */
export async function ensureNodeNetwork(name: string, podCIDR: string): Promise<void> {
  if (name.length > IFNAME_MAX_CHARS) throw new Error(`bridge name "${name}" is longer than ${IFNAME_MAX_CHARS} characters`);
  const { prefix } = parseCidr(podCIDR);
  if (!(await linkExists(name))) {
    try {
      await ip(['link', 'add', name, 'type', 'bridge']);
    } catch (err) {
      if (!(err instanceof CommandError && /File exists/.test(err.stderr))) throw err;
    }
  }
  await ip(['addr', 'replace', `${gatewayOf(podCIDR)}/${prefix}`, 'dev', name]);
  await ip(['link', 'set', name, 'up']);
  await ensureUnreachableRoute(CLUSTER_POD_RANGE);
  await ensureUnreachableRoute(SERVICE_RANGE);
  if (fs.readFileSync(IP_FORWARD_FILE, 'utf8').trim() !== '1') fs.writeFileSync(IP_FORWARD_FILE, '1');
  await ensureForwardAccept(name);
}

/** The FORWARD rules that let the bridge's traffic through (both directions). */
function forwardRules(bridge: string): string[][] {
  return [
    ['FORWARD', '-i', bridge, '-j', 'ACCEPT'],
    ['FORWARD', '-o', bridge, '-j', 'ACCEPT'],
  ];
}

/**
 * With bridge netfilter on, a FORWARD policy of DROP (dockerd sets one) also drops traffic between
 * pods on the bridge and to other nodes' bridges: accept the bridge's traffic explicitly, as Docker
 * does for its own bridges. Without iptables installed there is no such policy to work around.
 */
async function ensureForwardAccept(bridge: string): Promise<void> {
  for (const rule of forwardRules(bridge)) {
    try {
      await runCommand('iptables', ['-w', '-C', ...rule]);
    } catch (err) {
      if (err instanceof CommandError && err.exitCode === null) return; // no iptables on this machine
      await runCommand('iptables', ['-w', '-I', ...rule]);
    }
  }
}

/** Deletes the node's bridge and its FORWARD rules (a node leaving the machine, test cleanup). Never throws. */
export async function removeNodeNetwork(bridge: string): Promise<void> {
  for (const rule of forwardRules(bridge)) {
    await runCommand('iptables', ['-w', '-D', ...rule]).catch(() => undefined);
  }
  await ip(['link', 'delete', bridge]).catch(() => undefined);
}

export interface SandboxNetwork {
  sandboxId: string;
  bridge: string;
  ip: string;
  prefix: number;
  gateway: string;
}

/**
 * Creates the sandbox's namespace, veth pair, address and routes; on failure removes what it made.
 * Two `ip -batch` runs (host side, then inside the namespace): each `ip` process costs tens of
 * milliseconds on a busy machine, and sandbox creation is on the pod startup path.
 */
export async function setUpSandboxNetwork(n: SandboxNetwork): Promise<string> {
  const names = sandboxNetNames(n.sandboxId);
  if (fs.existsSync(netnsPath(names.netns)) || fs.existsSync(`/sys/class/net/${names.hostVeth}`)) {
    await tearDownSandboxNetwork(n.sandboxId); // a retried creation starts clean
  }
  try {
    await runCommand('ip', ['-batch', '-'], {
      input: [
        `netns add ${names.netns}`,
        `link add ${names.hostVeth} type veth peer name ${names.peerVeth}`,
        `link set ${names.peerVeth} netns ${names.netns}`,
        `link set ${names.hostVeth} master ${n.bridge} up`,
        // A pod reaching itself through its Service leaves by its own bridge port (the proxy masquerades it).
        `link set dev ${names.hostVeth} type bridge_slave hairpin on`,
        // A neighbour entry left by an earlier pod with this address names that pod's MAC.
        `neigh flush to ${n.ip} dev ${n.bridge}`,
      ].join('\n'),
    });
    await runCommand('ip', ['-n', names.netns, '-batch', '-'], {
      input: [
        `link set ${names.peerVeth} name eth0`,
        `addr add ${n.ip}/${n.prefix} dev eth0`,
        'link set eth0 up',
        'link set lo up',
        `route add default via ${n.gateway}`,
      ].join('\n'),
    });
  } catch (err) {
    await tearDownSandboxNetwork(n.sandboxId);
    throw err;
  }
  return netnsPath(names.netns);
}

/** Deletes the sandbox's namespace and host veth (either may be gone already). Never throws. */
export async function tearDownSandboxNetwork(sandboxId: string): Promise<void> {
  const names = sandboxNetNames(sandboxId);
  // Deleting the namespace deletes its end of the veth pair, and with it the host end.
  if (fs.existsSync(netnsPath(names.netns))) await ip(['netns', 'delete', names.netns]).catch(() => undefined);
  if (fs.existsSync(`/sys/class/net/${names.hostVeth}`)) await ip(['link', 'delete', names.hostVeth]).catch(() => undefined);
}

/** Network sysctls live in the pod's network namespace; the others are the node's (not applied). */
const NETWORK_SYSCTL = /^net\.[A-Za-z0-9_.\-/]+$/;

/**
 * Applies the pod's `net.*` sysctls inside its network namespace; returns the names it did not
 * apply (other namespaces' sysctls, which the process runtime does not set). Throws naming the
 * sysctl the kernel refused.
 */
export async function applySandboxSysctls(sandboxId: string, sysctls: Record<string, string>): Promise<string[]> {
  const { netns } = sandboxNetNames(sandboxId);
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(sysctls)) {
    if (!NETWORK_SYSCTL.test(key) || key.includes('..')) {
      skipped.push(key);
      continue;
    }
    const file = `/proc/sys/${key.replace(/\./g, '/')}`;
    try {
      await runCommand('ip', ['netns', 'exec', netns, 'sh', '-c', 'printf %s "$1" > "$2"', 'sh', value, file]);
    } catch (err) {
      throw new Error(`sysctl ${key}=${value}: ${(err as Error).message}`);
    }
  }
  return skipped;
}
