/**
 * The nodes of a local cluster (`bosun up`): the offline sample images made present for the
 * runtime, one `bosun node-agent` per node with its own state folder, kubelet port and identity,
 * a wait until every node is Ready with a pod range, and, when the cluster stops, the nodes'
 * containers removed (their pods stay in the API and come back at the next start).
 */
import { execFileSync } from 'node:child_process';
import { componentServingTls } from './component-args';
import * as path from 'node:path';
import pino from 'pino';
import { podCondition } from '../api/pod-status';
import { RESOURCES } from '../api/resources';
import type { Node } from '../api/types/core';
import type { ApiClient } from '../client/api-client';
import Dockerode from 'dockerode';
import { stopDetachedLogShipper } from '../../services/node-agent/runtime/docker/detached-log-shipper';
import { DEFAULT_CLUSTER_CIDR } from '../../services/node-agent/runtime/docker/docker-runtime';
import { podNetworkName, removePodNetwork } from '../../services/node-agent/runtime/docker/pod-network';
import { createRuntime, type RuntimeKind } from '../../services/node-agent/runtime/index';
import { ProcessRuntime } from '../../services/node-agent/runtime/process/process-runtime';
import { defaultImageStoreDir, ImageStore } from '../../services/node-agent/runtime/process/image-store';
import { hostAddress } from '../network/host-address';
import { LocalNodeAgent } from './node-agent-process';

/** The images the README's examples use, built offline by the project's script and tagged so. */
export const SAMPLE_IMAGE_TAGS: readonly string[] = ['busybox:latest', 'busybox:1.36'];
const REPO = path.resolve(__dirname, '..', '..', '..');
const POLL_MS = 250;

/** Where one node's agent listens. */
export interface LocalNodePorts {
  readonly kubelet: number;
  readonly grpc: number;
  readonly metrics: number;
}

/**
 * Builds the busybox image from Debian's busybox-static (first start only; cached under
 * .data/images) and makes it present for `runtime`: imported into the machine's node image store
 * (process) or into the Docker engine (docker). The fake runtime needs none.
 */
export async function ensureSampleImages(runtime: RuntimeKind, say: (line: string) => void): Promise<void> {
  if (runtime === 'fake') return;
  say('  sample images: building busybox from Debian\'s busybox-static (first start only, cached in .data/images)…');
  const tarball = execFileSync('bash', [path.join(REPO, 'scripts', 'images', 'build-images.sh'), 'busybox'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!;
  // In this process rather than through `bosun image import`: a node process start per tag cost
  // more than the import itself.
  const store = runtime === 'process' ? new ImageStore(defaultImageStoreDir()) : undefined;
  for (const tag of SAMPLE_IMAGE_TAGS) {
    if (store) await store.import(tag, tarball);
    else execFileSync('docker', ['import', tarball, tag], { stdio: 'ignore' });
  }
  say(`  sample images: ${SAMPLE_IMAGE_TAGS.join(', ')} ready for the ${runtime} runtime`);
}

/** The names of a local cluster's `count` nodes: node-1, node-2, … */
export function localNodeNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `node-${i + 1}`);
}

/**
 * One node agent per entry of `ports`, named as {@link localNodeNames}, state under
 * `<dir>/nodes/<name>`, each with its own identity (`kubeconfigOf(name)`: system:node:<name>)
 * and the host's address as its InternalIP: where its NodePorts and the load balancers of its
 * Services answer (the kernel data path, like kube-proxy's, serves none on 127.0.0.1). With
 * `servingTls` each agent's status API is TLS with a certificate of the CA in `certDir`, else
 * plain text behind an explicit `--insecure`.
 */
export function localNodeAgents(dir: string, runtime: RuntimeKind, ports: readonly LocalNodePorts[], kubeconfigOf: (nodeName: string) => string, certDir: string, servingTls = false): LocalNodeAgent[] {
  const names = localNodeNames(ports.length);
  return ports.map((p, i) => {
    const nodeName = names[i]!;
    const kubeconfig = kubeconfigOf(nodeName);
    return new LocalNodeAgent(
      { nodeName, runtime, rootDir: path.join(dir, 'nodes', nodeName), kubeletPort: p.kubelet, nodeIp: hostAddress(), extraArgs: ['--cert-dir', certDir] },
      p.grpc,
      path.join(dir, 'logs', `${nodeName}.log`),
      [],
      { kubeconfig, metricsPort: p.metrics, ...(servingTls ? { servingTls: componentServingTls(certDir, nodeName) } : {}) },
    );
  });
}

const readyOf = (n: Node) => podCondition(n, 'Ready')?.status === 'True';

/** Resolves once every named node is Ready with a podCIDR, telling each as it gets there. */
export async function waitNodesReady(client: ApiClient, names: readonly string[], timeoutMs: number, say: (line: string) => void): Promise<void> {
  const nodes = client.resource<Node>(RESOURCES.nodes);
  const told = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (told.size < names.length) {
    const list = await nodes.list(undefined).catch(() => undefined);
    for (const n of list?.items ?? []) {
      const name = n.metadata.name!;
      if (names.includes(name) && !told.has(name) && readyOf(n) && n.spec?.podCIDR) {
        told.add(name);
        say(`  ${name}: Ready (pods get addresses from ${n.spec.podCIDR})`);
      }
    }
    if (told.size === names.length) return;
    if (Date.now() > deadline) throw new Error(`node(s) ${names.filter((n) => !told.has(n)).join(', ')} not Ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The docker runtime's per-node network and its forwarding rules (the subnet read back from the engine). */
async function removeDockerPodNetwork(nodeName: string): Promise<void> {
  const docker = new Dockerode();
  const info = (await docker.getNetwork(podNetworkName(nodeName)).inspect()) as { IPAM?: { Config?: Array<{ Subnet?: string }> } };
  await removePodNetwork(docker, nodeName, { podCIDR: info.IPAM?.Config?.[0]?.Subnet, clusterCIDR: DEFAULT_CLUSTER_CIDR });
}

/**
 * Removes the containers and sandboxes of stopped node agents (a node agent leaves them running
 * by design, so a restarted agent adopts them; a stopped cluster must not): their pods are still
 * in the API, and the agents of the next start run them again.
 */
export async function removeNodeContainers(agents: readonly LocalNodeAgent[]): Promise<void> {
  const logger = pino({ level: 'silent' });
  for (const agent of agents) {
    const { nodeName, runtime: kind, rootDir } = agent.options;
    if (kind === 'fake') continue;
    const runtime = await createRuntime(kind as RuntimeKind, { rootDir: path.join(rootDir, 'runtime'), nodeName, logger }).catch(() => undefined);
    if (!runtime) continue;
    for (const sandbox of await runtime.listPodSandboxes().catch(() => [])) await runtime.removePodSandbox(sandbox.id).catch(() => undefined);
    // The process runtime's node also has a bridge and cgroups of its own: gone with the cluster.
    if (runtime instanceof ProcessRuntime) await runtime.destroyNode().catch(() => undefined);
    await runtime.close();
    if (kind === 'docker') {
      await stopDetachedLogShipper(path.join(rootDir, 'runtime'), nodeName).catch(() => undefined);
      await removeDockerPodNetwork(nodeName).catch(() => undefined);
    }
  }
}
