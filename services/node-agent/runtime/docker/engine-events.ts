/**
 * One subscription to the engine's /events stream for one node's containers, shared by whoever
 * listens (the runtime's onContainerEvent, the log shipper). The stream is reopened with a
 * backoff when the engine goes away, resuming from the last event's time so nothing in between
 * is missed; listeners are level-triggered anyway (the agent relists every second).
 */
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import { LABEL_NODE } from './docker-labels';
import { engineSince } from './engine-errors';

/** What the engine reports about a container (the subset of its event message we read). */
export interface EngineContainerEvent {
  /** The engine's action: create, start, die, destroy, … */
  action: string;
  id: string;
  attributes: Record<string, string>;
  timeNano: bigint;
}

/** Reconnect backoff bounds, ms. */
const RECONNECT_INITIAL_MS = 200;
const RECONNECT_MAX_MS = 5_000;

export class EngineEvents {
  private readonly listeners = new Set<(e: EngineContainerEvent) => void>();
  private stream: Readable | null = null;
  private closed = false;
  private lastNano: bigint;
  private backoffMs = RECONNECT_INITIAL_MS;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly docker: Dockerode,
    private readonly nodeName: string,
    private readonly logger: Logger,
    now: () => number = Date.now,
  ) {
    this.lastNano = BigInt(now()) * 1_000_000n;
  }

  /** Adds a listener; returns its removal. Opens the stream with the first listener. */
  subscribe(listener: (e: EngineContainerEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.stream && !this.timer && !this.closed) this.connect();
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.destroy();
    this.stream = null;
  }

  private connect(): void {
    const since = engineSince(this.lastNano);
    this.docker
      .getEvents({ since: since as unknown as number, filters: { type: ['container'], label: [`${LABEL_NODE}=${this.nodeName}`] } })
      .then((s) => {
        const stream = s as unknown as Readable;
        if (this.closed) {
          stream.destroy();
          return;
        }
        this.stream = stream;
        this.backoffMs = RECONNECT_INITIAL_MS;
        let pending = '';
        stream.on('data', (chunk: Buffer) => {
          pending += chunk.toString('utf8');
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl);
            pending = pending.slice(nl + 1);
            if (line.trim()) this.dispatch(line);
          }
        });
        const ended = (): void => {
          if (this.stream !== stream) return;
          this.stream = null;
          this.retry();
        };
        stream.on('end', ended);
        stream.on('close', ended);
        stream.on('error', ended);
      })
      .catch((err) => {
        this.logger.warn({ err: (err as Error).message }, 'docker events stream failed; retrying');
        this.retry();
      });
  }

  private retry(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
  }

  private dispatch(line: string): void {
    let msg: { Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      msg = JSON.parse(line);
    } catch {
      this.logger.warn({ line: line.slice(0, 200) }, 'unparseable docker event');
      return;
    }
    // timeNano exceeds 2^53: read its digits from the text, not the parsed number.
    const timeNano = BigInt(/"timeNano":(\d+)/.exec(line)?.[1] ?? '0');
    // Resume after this event on reconnect (events at the same nanosecond may repeat: harmless).
    if (timeNano > this.lastNano) this.lastNano = timeNano;
    const event: EngineContainerEvent = {
      action: msg.Action ?? msg.status ?? '',
      id: msg.Actor?.ID ?? msg.id ?? '',
      attributes: msg.Actor?.Attributes ?? {},
      timeNano,
    };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.logger.error({ err }, 'docker event listener threw');
      }
    }
  }
}
