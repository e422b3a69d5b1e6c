/**
 * The node's side of pod networking for the process runtime (root only): the podCIDR and bridge
 * it was configured with (`<rootDir>/network.json`), the address table (`<rootDir>/ipam.json`),
 * and per sandbox: an address plus its namespace and veth (pod-network.ts). Address updates are
 * serialized within the process (one read-modify-write of the table at a time).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuntimeCondition } from '../runtime';
import { RuntimeError } from '../runtime';
import { allocate, emptyIpam, gatewayOf, IpamState, parseCidr, release } from './ipam';
import { applySandboxSysctls, ensureNodeNetwork, removeNodeNetwork, setUpSandboxNetwork, tearDownSandboxNetwork } from './pod-network';
import { readJsonIfExists, writeJsonAtomic } from './state-files';

interface NetworkConfig {
  podCIDR: string;
  bridge: string;
}

/** What a sandbox got: its address, namespace, and the sysctls not applied. */
export interface SandboxAttachment {
  ip: string;
  netnsPath: string;
  ignoredSysctls: string[];
}

export class NodeNetwork {
  private ready?: Promise<void>;
  private ipamChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly rootDir: string,
    private readonly bridge: string,
  ) {}

  private get networkFile(): string {
    return path.join(this.rootDir, 'network.json');
  }
  private get ipamFile(): string {
    return path.join(this.rootDir, 'ipam.json');
  }

  /** The NetworkReady condition and facts for status() (as root). */
  condition(info: Record<string, string>): RuntimeCondition {
    const net = readJsonIfExists<NetworkConfig>(this.networkFile);
    if (!net) {
      info.podNetwork = 'none';
      return { type: 'NetworkReady', status: false, reason: 'NoPodCIDR', message: 'the node has no podCIDR yet: only hostNetwork pods can start' };
    }
    Object.assign(info, { podNetwork: 'bridge', bridge: net.bridge, podCIDR: net.podCIDR });
    return { type: 'NetworkReady', status: true, reason: '', message: '' };
  }

  /** Takes the node's podCIDR: the address table (kept when the range is unchanged), the bridge, routes. */
  async configure(podCIDR: string): Promise<void> {
    try {
      parseCidr(podCIDR);
    } catch (err) {
      throw new RuntimeError('InvalidConfig', (err as Error).message, { cause: err });
    }
    const ipam = readJsonIfExists<IpamState>(this.ipamFile);
    const held = ipam ? Object.keys(ipam.allocated).length : 0;
    if (ipam && ipam.cidr !== podCIDR && held > 0) {
      throw new RuntimeError('InvalidConfig', `podCIDR changed from ${ipam.cidr} to ${podCIDR} while ${held} sandboxes hold addresses`);
    }
    if (!ipam || ipam.cidr !== podCIDR) writeJsonAtomic(this.ipamFile, emptyIpam(podCIDR));
    writeJsonAtomic(this.networkFile, { podCIDR, bridge: this.bridge } satisfies NetworkConfig);
    this.ready = ensureNodeNetwork(this.bridge, podCIDR);
    await this.ready;
  }

  /** The configured network, its bridge set up once per object (it may be gone since the last agent). */
  private async configured(): Promise<NetworkConfig> {
    const net = readJsonIfExists<NetworkConfig>(this.networkFile);
    if (!net) throw new RuntimeError('SandboxFailed', 'the node has no podCIDR yet (network not ready): only hostNetwork pods can start');
    this.ready ??= ensureNodeNetwork(net.bridge, net.podCIDR);
    try {
      await this.ready;
    } catch (err) {
      this.ready = undefined;
      throw err;
    }
    return net;
  }

  private withIpam<T>(fn: (state: IpamState) => { state: IpamState; result: T }): Promise<T> {
    const next = this.ipamChain.then(() => {
      const current = readJsonIfExists<IpamState>(this.ipamFile);
      if (!current) throw new RuntimeError('SandboxFailed', 'no podCIDR configured');
      const { state, result } = fn(current);
      writeJsonAtomic(this.ipamFile, state);
      return result;
    });
    this.ipamChain = next.catch(() => undefined);
    return next;
  }

  /** An address, a namespace with a veth into the bridge, and the pod's net.* sysctls. */
  async attach(sandboxId: string, sysctls: Record<string, string>): Promise<SandboxAttachment> {
    const net = await this.configured();
    const ip = await this.withIpam((s) => {
      const r = allocate(s, sandboxId);
      return { state: r.state, result: r.ip };
    });
    const netnsPath = await setUpSandboxNetwork({ sandboxId, bridge: net.bridge, ip, prefix: parseCidr(net.podCIDR).prefix, gateway: gatewayOf(net.podCIDR) });
    const ignoredSysctls = await applySandboxSysctls(sandboxId, sysctls);
    return { ip, netnsPath, ignoredSysctls };
  }

  /** Releases the sandbox's namespace, veth and address. Idempotent. */
  async detach(sandboxId: string): Promise<void> {
    await tearDownSandboxNetwork(sandboxId);
    if (fs.existsSync(this.ipamFile)) await this.withIpam((s) => ({ state: release(s, sandboxId), result: undefined }));
  }

  /** Removes the bridge, its rules and the node's network files. */
  async destroy(): Promise<void> {
    await removeNodeNetwork(this.bridge);
    fs.rmSync(this.networkFile, { force: true });
    fs.rmSync(this.ipamFile, { force: true });
  }
}
