/**
 * Picks the runtime an agent runs pods with. `fake` is built in; `process` and `docker` are
 * added by the integrator (their adapters live beside this file) — until then asking for them is
 * a ConfigError saying so.
 */
import type { Clock } from '../../../lib/client/clock';
import { ConfigError } from '../../../lib/config-error';
import type { Logger } from '../../../lib/logger';
import { FakeRuntime } from './fake-runtime';
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
}

/** The runtime of `kind`; ConfigError for a kind not built into this agent. */
export function createRuntime(kind: RuntimeKind, options: CreateRuntimeOptions): Runtime {
  switch (kind) {
    case 'fake':
      return new FakeRuntime({ rootDir: options.rootDir, clock: options.clock, persist: options.persist });
    case 'process':
    case 'docker':
      throw new ConfigError(`--runtime: runtime ${kind} is not built into this agent`);
  }
}

/** A runtime kind from a flag value, or ConfigError. */
export function parseRuntimeKind(value: string): RuntimeKind {
  if ((RUNTIME_KINDS as readonly string[]).includes(value)) return value as RuntimeKind;
  throw new ConfigError(`--runtime: "${value}" is not one of ${RUNTIME_KINDS.join(', ')}`);
}
