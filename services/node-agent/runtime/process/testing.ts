/**
 * Test support for the process runtime: the busybox image (built by scripts/images/build-images.sh,
 * cached under .data/images), sandbox and container configs with defaults, a test-owned pod range
 * and the waits tests use instead of sleeps.
 */
import { minimalContainerConfig } from '../test-configs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { ContainerConfig, PodSandboxConfig } from '../runtime';
import { repoRoot } from './monitor-binary';

/** The busybox rootfs tarball, built on first use (needs Debian's mirror once, then cached). */
export function busyboxTarball(): string {
  const out = execFileSync('bash', [path.join(repoRoot(), 'scripts', 'images', 'build-images.sh'), 'busybox'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trim().split('\n').pop()!;
}

/**
 * A test-owned /24 in 10.42.200.0–10.42.249.255, by pid and a per-suite offset (so suites of one
 * run, and parallel runs, rarely share a range).
 */
export function testPodCidr(offset = 0): string {
  return `10.42.${200 + ((process.pid + offset) % 50)}.0/24`;
}

export function sandboxConfig(name: string, logDirectory: string, overrides: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
    hostname: name,
    logDirectory,
    portMappings: [],
    labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': 'default' },
    annotations: {},
    linux: { hostNetwork: false },
    ...overrides,
  };
}

export function containerConfig(name: string, command: string[], overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  return minimalContainerConfig(name, 'busybox:latest', command, overrides);
}

/** Polls `check` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
