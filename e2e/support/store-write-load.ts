import { StoreClient } from '../../store/client';

/** Writes one step's operation: resolves when acknowledged, throws when refused (a failover). */
export type WriteStep = (client: StoreClient, writer: number, i: number) => Promise<void>;

/**
 * A bounded background write load on a store: `writers` loops, each on its own client, run
 * `step` up to `maxSteps` times until stopped, counting acknowledged steps; a refused step (a
 * failover in progress) is skipped and the load goes on.
 */
export class StoreWriteLoad {
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  acknowledged = 0;

  constructor(endpoints: readonly string[], writers: number, step: WriteStep, opts: { readonly requestTimeoutMs?: number; readonly maxSteps?: number } = {}) {
    const maxSteps = opts.maxSteps ?? 100_000;
    for (let w = 0; w < writers; w++) {
      const client = new StoreClient({ endpoints: [...endpoints], requestTimeoutMs: opts.requestTimeoutMs ?? 3000 });
      this.loops.push(
        (async () => {
          for (let i = 0; !this.stopped && i < maxSteps; i++) {
            try {
              await step(client, w, i);
              this.acknowledged++;
            } catch {
              // a failover in progress: keep the load going
            }
          }
          client.close();
        })(),
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}
