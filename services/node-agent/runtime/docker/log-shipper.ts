/**
 * Keeps the CRI log files of one node's Docker containers current: one CriLogCopier per
 * container that has run, started on the engine's `start` event and, at start-up, for every
 * container of the node (catching up on what was written while no shipper ran). A copier ends
 * by itself once its container has stopped and its output is copied.
 *
 * Hosted either in its own detached process (detached-log-shipper.ts, the runtime's default) so
 * that logs stay current while no agent runs, or inside the agent (logShipper 'in-process').
 */
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import { CriLogCopier } from './cri-log-copier';
import { CONTAINER_TYPE_CONTAINER, LABEL_CONTAINER_TYPE, LABEL_LOG_PATH, LABEL_NODE } from './docker-labels';
import { EngineEvents } from './engine-events';

/**
 * The shippers of this process, one per (engine, node), shared by every runtime object opened for
 * that node: two copiers appending to one file would double its lines.
 */
const shared = new Map<string, { shipper: LogShipper; refs: number }>();

function engineKey(docker: Dockerode, nodeName: string): string {
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number };
  return `${modem.socketPath ?? `${modem.host}:${modem.port}`}|${nodeName}`;
}

/** The process's shipper for the node (started on first use); call the returned release when done with it. */
export async function acquireLogShipper(docker: Dockerode, nodeName: string, logger: Logger): Promise<() => void> {
  const key = engineKey(docker, nodeName);
  let entry = shared.get(key);
  if (!entry) {
    entry = { shipper: new LogShipper(docker, nodeName, logger), refs: 0 };
    shared.set(key, entry);
    await entry.shipper.start();
  }
  const held = entry;
  held.refs++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.refs === 0 && shared.get(key) === held) {
      shared.delete(key);
      held.shipper.close();
    }
  };
}

/** The shipper this process runs for the node, if any (to follow a container at once after its start). */
export function sharedLogShipper(docker: Dockerode, nodeName: string): LogShipper | undefined {
  return shared.get(engineKey(docker, nodeName))?.shipper;
}

export class LogShipper {
  private readonly copiers = new Map<string, CriLogCopier>();
  private readonly events: EngineEvents;
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly docker: Dockerode,
    private readonly nodeName: string,
    private readonly logger: Logger,
  ) {
    this.events = new EngineEvents(docker, nodeName, logger);
  }

  /** Subscribes to the engine's events and starts copiers for every container of the node that has run; may be retried when it throws. */
  async start(): Promise<void> {
    this.unsubscribe ??= this.events.subscribe((e) => {
      if (e.action === 'start' && e.attributes[LABEL_CONTAINER_TYPE] === CONTAINER_TYPE_CONTAINER) void this.follow(e.id);
    });
    const all = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_NODE}=${this.nodeName}`, `${LABEL_CONTAINER_TYPE}=${CONTAINER_TYPE_CONTAINER}`] },
    });
    await Promise.all(all.filter((c) => c.State !== 'created').map((c) => this.follow(c.Id)));
  }

  /** Starts copying a container's output (no-op when a copier runs or the container is gone). */
  async follow(id: string): Promise<void> {
    if (this.closed || this.copiers.has(id)) return;
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(id).inspect();
    } catch {
      return; // removed meanwhile
    }
    const logPath = info.Config.Labels?.[LABEL_LOG_PATH];
    if (!logPath || this.closed || this.copiers.has(id)) return;
    const copier = new CriLogCopier(this.docker, id, logPath, Boolean(info.Config.Tty), (err) =>
      this.logger.warn({ containerId: id, err: (err as Error).message }, 'copying container output to its CRI log failed'),
    );
    this.copiers.set(id, copier);
    void copier.done.then(() => {
      if (this.copiers.get(id) === copier) this.copiers.delete(id);
    });
  }

  /** Waits until the copier of `id` (if any) has written everything the engine had. */
  async flushed(id: string): Promise<void> {
    await this.copiers.get(id)?.done;
  }

  /** Stops copying a container (before its removal). */
  forget(id: string): void {
    this.copiers.get(id)?.stop();
    this.copiers.delete(id);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.events.close();
    for (const c of this.copiers.values()) c.stop();
    this.copiers.clear();
  }
}
