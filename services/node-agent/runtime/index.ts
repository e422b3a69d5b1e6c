/**
 * Picks the runtime an agent runs pods with: `process` (containers as local processes in their
 * own namespaces; images from the node image store shared by the nodes of one machine),
 * `docker` (the Docker Engine) or `fake` (no processes: scale tests).
 */
import type { Clock } from '../../../lib/client/clock';
import { ConfigError } from '../../../lib/config-error';
import type { Logger } from '../../../lib/logger';
import { DockerRuntime } from './docker/docker-runtime';
import { FakeRuntime } from './fake-runtime';
import { defaultImageStoreDir } from './process/image-store';
import { ProcessRuntime } from './process/process-runtime';
import type { Runtime } from './runtime';

export const RUNTIME_KINDS = ['process', 'docker', 'fake'] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

export interface CreateRuntimeOptions {
  /** The runtime's state folder for this node. */
  readonly rootDir: string;
  readonly nodeName: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Fake runtime: save state to disk (default true). */
  readonly persist?: boolean;
  /** Process runtime: the image store (default: $BOSUN_IMAGE_STORE, else the machine's shared one). */
  readonly imageStoreDir?: string;
  /** Docker runtime: the cluster's pod range, which this node's pods may reach. */
  readonly clusterCIDR?: string;
}

/** The runtime of `kind`, opened on its state (a restarted agent finds what it ran). */
export async function createRuntime(kind: RuntimeKind, options: CreateRuntimeOptions): Promise<Runtime> {
  switch (kind) {
    case 'fake':
      return new FakeRuntime({ rootDir: options.rootDir, clock: options.clock, persist: options.persist });
    case 'process':
      return ProcessRuntime.open({ rootDir: options.rootDir, nodeName: options.nodeName, logger: options.logger, imageStoreDir: options.imageStoreDir ?? defaultImageStoreDir() });
    case 'docker':
      return DockerRuntime.open({ rootDir: options.rootDir, nodeName: options.nodeName, logger: options.logger, clusterCIDR: options.clusterCIDR });
  }
}

/** A runtime kind from a flag value, or ConfigError. */
export function parseRuntimeKind(value: string): RuntimeKind {
  if ((RUNTIME_KINDS as readonly string[]).includes(value)) return value as RuntimeKind;
  throw new ConfigError(`--runtime: "${value}" is not one of ${RUNTIME_KINDS.join(', ')}`);
}
