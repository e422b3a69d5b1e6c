/**
 * The node's pod network on the engine: one Docker bridge network per node whose subnet is the
 * node's podCIDR (gateway = its first address), so sandboxes get pod IPs from the podCIDR.
 *
 * Several nodes may share one engine (one machine): their networks are separate bridges, which
 * the engine isolates from each other with iptables. Pods must reach pods on other nodes
 * without NAT (Kubernetes' network model), so the network is created without masquerade and,
 * when `iptables` is present, one DOCKER-USER rule per node accepts forwarding from its podCIDR
 * to the cluster range (DOCKER-USER is consulted before the engine's isolation chains).
 * Everything is idempotent: a restarted runtime finds the network by name and the rule by -C.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { RuntimeError } from '../runtime';
import { LABEL_NODE } from './docker-labels';
import { statusCode } from './engine-errors';

const execFileP = promisify(execFile);

/** The engine's chain for user rules, evaluated before its inter-network isolation. */
const DOCKER_USER_CHAIN = 'DOCKER-USER';
/** Bounds an iptables call, ms. */
const IPTABLES_TIMEOUT_MS = 10_000;

/** The Docker network name of a node's pods. */
export function podNetworkName(nodeName: string): string {
  return `bosun-pods-${nodeName.replace(/[^a-zA-Z0-9_.-]/g, '-')}`;
}

/** Parses `a.b.c.d/len` and returns its gateway (network address + 1); throws InvalidConfig naming podCIDR. */
export function gatewayOf(podCIDR: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(podCIDR);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const len = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || len < 8 || len > 30) {
    throw new RuntimeError('InvalidConfig', `podCIDR: "${podCIDR}" is not an IPv4 CIDR with a prefix of 8..30 bits`);
  }
  const addr = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - len);
  const network = addr - (addr % size);
  if (network !== addr) throw new RuntimeError('InvalidConfig', `podCIDR: "${podCIDR}" has host bits set`);
  const gw = network + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(gw / 2 ** shift) % 256).join('.');
}

async function iptables(args: string[]): Promise<boolean> {
  try {
    await execFileP('iptables', ['-w', ...args], { timeout: IPTABLES_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

function forwardRule(podCIDR: string, clusterCIDR: string): string[] {
  return [DOCKER_USER_CHAIN, '-s', podCIDR, '-d', clusterCIDR, '-j', 'ACCEPT'];
}

/**
 * Makes the node's pod network exist with `podCIDR` and returns its name. A network of that name
 * with another subnet (the node's podCIDR changed) is replaced when no container uses it, else
 * SandboxFailed. Returns whether cross-node forwarding could be allowed (iptables present).
 */
export async function ensurePodNetwork(
  docker: Dockerode,
  opts: { nodeName: string; podCIDR: string; clusterCIDR: string },
): Promise<{ name: string; crossNode: boolean }> {
  const name = podNetworkName(opts.nodeName);
  const gateway = gatewayOf(opts.podCIDR);
  const existing = await inspectNetwork(docker, name);
  const subnet = existing?.IPAM?.Config?.[0]?.Subnet;
  if (existing && subnet !== opts.podCIDR) {
    if (Object.keys(existing.Containers ?? {}).length > 0) {
      throw new RuntimeError('SandboxFailed', `pod network ${name} has subnet ${subnet} but the node's podCIDR is ${opts.podCIDR}, and pods still use it`);
    }
    await removePodNetwork(docker, opts.nodeName, { podCIDR: subnet, clusterCIDR: opts.clusterCIDR });
  }
  if (!existing || subnet !== opts.podCIDR) {
    try {
      await docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: opts.podCIDR, Gateway: gateway }] },
        Options: { 'com.docker.network.bridge.enable_ip_masquerade': 'false' },
        Labels: { [LABEL_NODE]: opts.nodeName },
      });
    } catch (err) {
      // Another runtime object for the same node won the race: fine if it made the same network.
      const again = await inspectNetwork(docker, name);
      if (again?.IPAM?.Config?.[0]?.Subnet !== opts.podCIDR) {
        throw new RuntimeError('SandboxFailed', `cannot create pod network ${name} (${opts.podCIDR}): ${(err as Error).message}`, { cause: err });
      }
    }
  }
  const rule = forwardRule(opts.podCIDR, opts.clusterCIDR);
  const crossNode = (await iptables(['-C', ...rule])) || (await iptables(['-I', ...rule]));
  return { name, crossNode };
}

/** Removes the node's pod network and its forwarding rule (idempotent); containers must be gone first. */
export async function removePodNetwork(
  docker: Dockerode,
  nodeName: string,
  opts: { podCIDR?: string; clusterCIDR: string },
): Promise<void> {
  const name = podNetworkName(nodeName);
  const existing = await inspectNetwork(docker, name);
  const podCIDR = opts.podCIDR ?? existing?.IPAM?.Config?.[0]?.Subnet;
  if (existing) {
    try {
      await docker.getNetwork(name).remove();
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
  if (podCIDR) {
    const rule = forwardRule(podCIDR, opts.clusterCIDR);
    while (await iptables(['-C', ...rule])) if (!(await iptables(['-D', ...rule]))) break;
  }
}

async function inspectNetwork(docker: Dockerode, name: string): Promise<Dockerode.NetworkInspectInfo | null> {
  try {
    return (await docker.getNetwork(name).inspect()) as Dockerode.NetworkInspectInfo;
  } catch (err) {
    if (statusCode(err) === 404) return null;
    throw err;
  }
}
