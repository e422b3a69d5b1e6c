/**
 * Test support for suites that run the docker runtime against the real engine: whether an engine
 * answers, test-unique node names, sandbox/container configs for busybox, waiting for a condition
 * (never a fixed sleep), and removal of everything a test node created (containers by the node
 * label, the node's pod network and forwarding rule, the `unreachable` guard route it added).
 */
import { minimalContainerConfig } from '../../test-configs';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import type { ContainerConfig, PodSandboxConfig } from '../../runtime';
import { LABEL_NODE } from '../docker-labels';
import { DEFAULT_CLUSTER_CIDR, DEFAULT_DOCKER_SOCKET } from '../docker-runtime';
import { removePodNetwork } from '../pod-network';

const execFileP = promisify(execFile);
/** How long a probe of the engine may take before the suite skips, ms. */
const ENGINE_PROBE_TIMEOUT_MS = 3_000;
/** Polling interval of waitFor, ms. */
const WAIT_POLL_MS = 50;

/** The engine client when one answers on the default socket, else null (the suite then skips). */
export async function engineOrNull(): Promise<Dockerode | null> {
  if (!fs.existsSync(DEFAULT_DOCKER_SOCKET)) return null;
  const docker = new Dockerode({ socketPath: DEFAULT_DOCKER_SOCKET, timeout: 60_000 });
  try {
    await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ENGINE_PROBE_TIMEOUT_MS))]);
    return docker;
  } catch {
    return null;
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms` naming `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
  }
}

/** A node name unique to this test run. */
export function testNodeName(suffix: string): string {
  return `dkt${process.pid}-${suffix}`;
}

/** A fresh temporary directory for a suite's logs; remove it with fs.rm. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-docker-rt-'));
}

export function sandboxConfig(name: string, logRoot: string, overrides: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  const uid = `uid-${name}`;
  return {
    metadata: { name, namespace: 'default', uid, attempt: 0 },
    hostname: name,
    logDirectory: path.join(logRoot, `default_${name}_${uid}`),
    portMappings: [],
    labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': uid },
    annotations: { 'test/annotation': `value-of-${name}` },
    linux: { hostNetwork: false },
    ...overrides,
  };
}

export function containerConfig(name: string, image: string, command: string[], overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  return minimalContainerConfig(name, image, command, { annotations: { 'io.kubernetes.container.restartCount': '0' }, ...overrides });
}

/** Removes every container labelled with `nodeName`, then the node's pod network and rule. */
export async function removeTestNode(docker: Dockerode, nodeName: string): Promise<void> {
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${nodeName}`] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  await removePodNetwork(docker, nodeName, { clusterCIDR: DEFAULT_CLUSTER_CIDR });
}

/**
 * Adds the `unreachable` route over the cluster range (so nothing sent to an address nobody holds
 * leaves the machine) unless one exists; returns its removal (a no-op when it was there before).
 */
export async function guardClusterRange(cidr = DEFAULT_CLUSTER_CIDR): Promise<() => Promise<void>> {
  const { stdout } = await execFileP('ip', ['route', 'show', 'type', 'unreachable']);
  if (stdout.split('\n').some((l) => l.trim().split(/\s+/).includes(cidr))) return async () => undefined;
  try {
    await execFileP('ip', ['route', 'add', 'unreachable', cidr]);
  } catch (err) {
    // Someone else added it meanwhile: theirs to remove.
    if (/File exists/.test((err as Error).message)) return async () => undefined;
    throw err;
  }
  return async () => {
    await execFileP('ip', ['route', 'del', 'unreachable', cidr]).catch(() => undefined);
  };
}
