/**
 * The controllers a controller-manager can run, by name, and the `--controllers` selection of
 * kube-controller-manager: a comma-separated list where `*` turns on every controller that is
 * on by default, `foo` turns on foo, and `-foo` turns foo off (e.g. `*,-job`). A name named
 * both ways, or a name nobody registered, is a ConfigError naming it.
 */
import { ConfigError } from '../config-error';
import type { Controller, ControllerContext } from './controller-context';

/** The default of `--controllers`: every controller that is on by default. */
export const ALL_DEFAULT_CONTROLLERS = '*';

/** How to build one controller. */
export interface ControllerDescriptor {
  /** Kubernetes' name for it, e.g. "namespace", "replicaset", "job" (lower case, no spaces). */
  readonly name: string;
  /** Whether `*` turns it on (default true; kube-controller-manager keeps a few off). */
  readonly enabledByDefault?: boolean;
  /** Builds the controller: asks `ctx.informers` for what it reads and registers its handlers. */
  create(ctx: ControllerContext): Controller;
}

/** Controllers that were built and run, by name, and how to stop them all. */
export interface RunningControllers {
  readonly names: readonly string[];
  /** Stops every controller (draining workers), then the informers. */
  stop(): Promise<void>;
}

/** Controllers by name. */
export class ControllerRegistry {
  private readonly descriptors = new Map<string, ControllerDescriptor>();

  constructor(descriptors: readonly ControllerDescriptor[] = []) {
    for (const d of descriptors) this.register(d);
  }

  /** Adds a controller; a name registered twice is a programming error. */
  register(descriptor: ControllerDescriptor): this {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(descriptor.name)) throw new Error(`controller registry: bad controller name ${JSON.stringify(descriptor.name)}`);
    if (this.descriptors.has(descriptor.name)) throw new Error(`controller registry: controller "${descriptor.name}" registered twice`);
    this.descriptors.set(descriptor.name, descriptor);
    return this;
  }

  /** Every registered name, sorted. */
  names(): string[] {
    return [...this.descriptors.keys()].sort();
  }

  /**
   * The names `--controllers` turns on, in sorted order (see the file comment). `value` is the
   * flag as given (comma-separated) or already split; empty entries are ignored.
   */
  select(value: string | readonly string[]): string[] {
    const entries = (typeof value === 'string' ? value.split(',') : [...value]).map((s) => s.trim()).filter((s) => s !== '');
    const on = new Set<string>();
    const off = new Set<string>();
    let star = false;
    const unknown: string[] = [];
    for (const entry of entries) {
      if (entry === '*') {
        star = true;
        continue;
      }
      const name = entry.startsWith('-') ? entry.slice(1) : entry;
      if (!this.descriptors.has(name)) unknown.push(entry);
      else (entry.startsWith('-') ? off : on).add(name);
    }
    if (unknown.length > 0) {
      throw new ConfigError(`--controllers: unknown controller${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${this.names().join(', ')})`);
    }
    const both = [...on].filter((n) => off.has(n));
    if (both.length > 0) throw new ConfigError(`--controllers: ${both.map((n) => `"${n}"`).join(', ')} both enabled and disabled`);
    return this.names().filter((n) => on.has(n) || (star && !off.has(n) && this.descriptors.get(n)!.enabledByDefault !== false));
  }

  /**
   * Builds the controllers `names` (from {@link select}), starts the context's informer factory,
   * and runs each controller; resolves once all run. A controller that fails to build or start
   * is logged and left out; the others run.
   */
  async start(names: readonly string[], ctx: ControllerContext): Promise<RunningControllers> {
    const built: { name: string; controller: Controller }[] = [];
    for (const name of names) {
      const d = this.descriptors.get(name);
      if (!d) throw new ConfigError(`--controllers: unknown controller "${name}"`);
      try {
        built.push({ name, controller: d.create(ctx) });
      } catch (err) {
        ctx.logger.error({ controller: name, err: (err as Error)?.message ?? String(err) }, 'controller could not be built');
      }
    }
    ctx.informers.start();
    const running: typeof built = [];
    await Promise.all(
      built.map(async (b) => {
        try {
          await b.controller.run();
          running.push(b);
        } catch (err) {
          ctx.logger.error({ controller: b.name, err: (err as Error)?.message ?? String(err) }, 'controller failed to start');
          await b.controller.stop().catch(() => undefined);
        }
      }),
    );
    ctx.logger.info({ controllers: running.map((b) => b.name).sort() }, 'controllers running');
    return {
      names: running.map((b) => b.name).sort(),
      async stop() {
        await Promise.all(built.map((b) => b.controller.stop().catch((err: unknown) => ctx.logger.warn({ controller: b.name, err: (err as Error)?.message }, 'controller stop failed'))));
        ctx.informers.stop();
      },
    };
  }
}
