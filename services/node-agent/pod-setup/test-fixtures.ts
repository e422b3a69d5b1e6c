/**
 * Shared helpers for the pod-setup tests: a FakeApiClient seeded with the objects a pod refers
 * to, and a NodePodSetup over it in a temporary root directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import type { Container, Pod } from '../../../lib/api/types';
import { FakeApiClient } from '../../../lib/client/testing/fake-api-client';
import { NodePodSetup, type NodePodSetupOptions } from './node-pod-setup';
import type { ContainerRuntimeFacts } from './pod-setup';
import type { Mounter } from './tmpfs';

export const NODE_ALLOCATABLE = { cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3 };
export const FACTS: ContainerRuntimeFacts = { podIP: '10.42.200.5', podIPs: ['10.42.200.5'], hostIP: '192.0.2.10', attempt: 0 };

/** A pod with one container `app` (uid fixed, namespace `ns`). */
export function makePod(spec: Record<string, unknown> = {}, container: Partial<Container> = {}, meta: Record<string, unknown> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'ns', uid: 'uid-1', labels: { app: 'web' }, annotations: { note: 'hi' }, ...meta },
    spec: { nodeName: 'node-1', serviceAccountName: 'sa', containers: [{ name: 'app', image: 'busybox:1.36', ...container }], ...spec },
  };
}

/** A fake mounter that records tmpfs mounts instead of making them. */
export class FakeMounter implements Mounter {
  readonly mounted = new Map<string, number>();
  constructor(private readonly root: boolean) {}
  canMount(): boolean {
    return this.root;
  }
  async mountTmpfs(dir: string, sizeBytes: number): Promise<void> {
    this.mounted.set(dir, sizeBytes);
  }
  async unmount(dir: string): Promise<void> {
    this.mounted.delete(dir);
  }
  async mountsUnder(dir: string): Promise<string[]> {
    return [...this.mounted.keys()].filter((m) => m === dir || m.startsWith(`${dir}/`));
  }
}

/** A NodePodSetup over a fresh fake API and a temporary root (`asRoot`: its fake mounter may mount); `cleanup()` removes the root. */
export function makeSetup(extra: Partial<NodePodSetupOptions> = {}, asRoot = false): { api: FakeApiClient; setup: NodePodSetup; root: string; mounter: FakeMounter; cleanup: () => void } {
  const api = new FakeApiClient();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-pod-setup-'));
  const resolv = path.join(root, 'resolv.conf');
  fs.writeFileSync(resolv, 'nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n');
  const mounter = new FakeMounter(asRoot);
  const setup = new NodePodSetup({
    client: api,
    rootDir: root,
    nodeName: 'node-1',
    resolvConfPath: resolv,
    nodeAllocatable: () => NODE_ALLOCATABLE,
    mounter,
    logger: pino({ level: 'silent' }),
    ...extra,
  });
  return { api, setup, root, mounter, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}
