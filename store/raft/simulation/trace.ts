/**
 * The event trace of a simulation run: a bounded ring of the most recent events (printed when
 * a run fails) or, when replaying one seed, every event.
 */

/** How many trailing events a failing run prints. */
export const DEFAULT_TRACE_TAIL = 50;

/** One recorded event: the simulation step it happened in and a one-line description. */
export interface TraceEvent {
  step: number;
  text: string;
}

/**
 * Records events in order. With `keepAll` every event is kept (replay mode); otherwise only
 * the last `capacity` events survive. When `echo` is given, every event is also passed to it
 * as it happens (used by the replay CLI to stream the full trace).
 */
export class Trace {
  private readonly ring: TraceEvent[] = [];
  private start = 0;
  private total = 0;

  constructor(
    private readonly capacity: number = DEFAULT_TRACE_TAIL,
    private readonly keepAll = false,
    private readonly echo?: (line: string) => void,
  ) {}

  /** Appends an event. */
  add(step: number, text: string): void {
    this.total++;
    const ev = { step, text };
    if (this.echo) this.echo(formatEvent(ev));
    if (this.keepAll || this.ring.length < this.capacity) {
      this.ring.push(ev);
      return;
    }
    this.ring[this.start] = ev;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Number of events ever recorded (including ones that fell out of the ring). */
  get count(): number {
    return this.total;
  }

  /** The retained events, oldest first; at most the last `n` when given. */
  events(n?: number): TraceEvent[] {
    const ordered = this.ring.slice(this.start).concat(this.ring.slice(0, this.start));
    return n === undefined ? ordered : ordered.slice(Math.max(0, ordered.length - n));
  }

  /** The retained events (at most the last `n`), one formatted line each. */
  format(n?: number): string {
    return this.events(n).map(formatEvent).join('\n');
  }
}

/** `[step 000123] text`. */
export function formatEvent(ev: TraceEvent): string {
  return `[step ${String(ev.step).padStart(6, '0')}] ${ev.text}`;
}
