/**
 * What a node agent knows about its node before it talks to anyone: its name, labels, size and
 * what it keeps back for the system, and where it serves. Built by the command from flags (or
 * by tests) and read by registration, the pod workers and the status API.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Quantity } from '../../../lib/api/quantity';
import { ConfigError } from '../../../lib/config-error';

/** The kubelet's default port (the streaming server the agent advertises on its Node). */
export const DEFAULT_KUBELET_PORT = 10250;
/** The kubelet's default maxPods. */
export const DEFAULT_MAX_PODS = 110;
export const DEFAULT_CLUSTER_DNS = '10.43.0.10';
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** The resources a node reports in capacity and allocatable. */
export const NODE_RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'pods'] as const;
export type NodeResource = (typeof NODE_RESOURCES)[number];

/** Configuration of one node agent (one node). */
export interface NodeConfig {
  readonly nodeName: string;
  /** Labels beyond kubernetes.io/hostname, os and arch (--node-labels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Capacity per resource as quantities (from the host or flags). */
  readonly capacity: Readonly<Record<NodeResource, string>>;
  /** Kept back for the system (--system-reserved); allocatable = capacity − reserved. */
  readonly reserved: Readonly<Partial<Record<NodeResource, string>>>;
  /** The node's address (InternalIP) and the host IP pods report. */
  readonly address: string;
  readonly kubeletPort: number;
  readonly clusterDns: readonly string[];
  readonly clusterDomain: string;
}

/** The host's capacity: its CPUs, memory, the size of the file system holding `rootDir` (or its nearest existing parent), and `maxPods`. */
export function hostCapacity(rootDir: string, maxPods: number): Record<NodeResource, string> {
  let storageBytes = 0;
  let dir = path.resolve(rootDir);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    const st = fs.statfsSync(dir);
    storageBytes = st.blocks * st.bsize;
  } catch {
    storageBytes = 0;
  }
  return {
    cpu: String(os.cpus().length),
    memory: `${Math.floor(os.totalmem() / 1024)}Ki`,
    'ephemeral-storage': `${Math.floor(storageBytes / 1024)}Ki`,
    pods: String(maxPods),
  };
}

/** allocatable = capacity − reserved, never below zero. */
export function allocatableOf(config: NodeConfig): Record<NodeResource, string> {
  const out = {} as Record<NodeResource, string>;
  for (const r of NODE_RESOURCES) {
    const cap = Quantity.parse(config.capacity[r]);
    const reserved = config.reserved[r];
    if (!reserved) {
      out[r] = config.capacity[r];
      continue;
    }
    const left = cap.sub(Quantity.parse(reserved));
    out[r] = left.cmp(Quantity.fromInt(0)) < 0 ? '0' : left.toString();
  }
  return out;
}

/**
 * `key=value,…` as a map (--node-labels, --system-reserved). ConfigError naming `flag` for a bad
 * pair; `check` validates each value.
 */
export function parseKeyValueList(flag: string, value: string, check?: (key: string, value: string) => string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--${flag}: "${part}" is not key=value`);
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    const problem = check?.(k, v);
    if (problem) throw new ConfigError(`--${flag}: ${problem}`);
    out[k] = v;
  }
  return out;
}

/** Checks a `--system-reserved` entry: a known resource with a quantity. */
export function checkReserved(key: string, value: string): string | undefined {
  if (!(NODE_RESOURCES as readonly string[]).includes(key)) return `unknown resource "${key}" (one of ${NODE_RESOURCES.join(', ')})`;
  try {
    Quantity.parse(value);
    return undefined;
  } catch {
    return `"${value}" is not a quantity for ${key}`;
  }
}
