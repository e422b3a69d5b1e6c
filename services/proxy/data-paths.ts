/**
 * Chooses and builds the proxy's data path: `createDataPath(mode, options)`, and the default
 * mode kube-proxy would take here (nftables when root with the `nft` tool, else userspace).
 */
import { spawnSync } from 'node:child_process';
import { ConfigError } from '../../lib/config-error';
import type { DataPath, DataPathOptions, ProxyMode } from './data-path';
import { NftablesDataPath } from './nftables/nftables-data-path';
import { UserspaceDataPath, type UserspaceDataPathOptions } from './userspace/userspace-data-path';

/** Every mode `--mode` accepts. */
export const PROXY_MODES: readonly ProxyMode[] = ['userspace', 'nftables'];

/**
 * The data path of `mode`: the userspace relay, or kube-proxy's nftables mode (./nftables/).
 */
export function createDataPath(mode: ProxyMode, options: DataPathOptions & Omit<UserspaceDataPathOptions, keyof DataPathOptions>): DataPath {
  switch (mode) {
    case 'userspace':
      return new UserspaceDataPath(options);
    case 'nftables':
      return new NftablesDataPath(options);
  }
}

/** Whether this process runs as root. */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Whether the `nft` tool runs here. */
export function nftAvailable(): boolean {
  const r = spawnSync('nft', ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

/** The mode to run without `--mode`, and why (kube-proxy logs its choice too). */
export function defaultMode(): { mode: ProxyMode; reason: string } {
  if (!isRoot()) return { mode: 'userspace', reason: 'not running as root' };
  if (!nftAvailable()) return { mode: 'userspace', reason: 'the nft tool is not available' };
  return { mode: 'nftables', reason: 'running as root with nft available' };
}

/** `--mode`'s value, or an error naming the flag. */
export function parseProxyMode(value: string): ProxyMode {
  const mode = PROXY_MODES.find((m) => m === value);
  if (!mode) throw new ConfigError(`--mode: "${value}" is not one of ${PROXY_MODES.join(', ')}`);
  return mode;
}
