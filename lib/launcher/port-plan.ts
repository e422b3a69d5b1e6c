import { freePort, portIsFree } from './store-cluster';

/**
 * The ports of a local cluster, claimed before anything starts: the standard layout (each port
 * checked free, so a second cluster fails at once with the port and its owner named) or, with
 * `--ports free`, any free ports the OS hands out.
 */
export class PortPlan {
  constructor(private readonly anyFree: boolean) {}

  /** The port for `what`: `standard` when it is free, any free port in free mode. */
  async port(standard: number, what: string): Promise<number> {
    if (this.anyFree) return freePort();
    if (!(await portIsFree(standard))) {
      throw new Error(`port ${standard} (${what}) is already in use on 127.0.0.1; is another cluster running? stop it first, or use --ports free`);
    }
    return standard;
  }

  /** One port per replica: `standards[i]` for `<what>-<i+1>`. */
  ports(standards: readonly number[], what: string): Promise<number[]> {
    return sequential(standards.map((p, i) => () => this.port(p, `${what}-${i + 1}`)));
  }

  /** Pairs of ports per replica (e.g. [HTTPS, gRPC]). */
  pairs(standards: readonly (readonly [number, number])[], what: string): Promise<[number, number][]> {
    return sequential(standards.map(([a, b], i) => async (): Promise<[number, number]> => [await this.port(a, `${what}-${i + 1}`), await this.port(b, `${what}-${i + 1}`)]));
  }
}

async function sequential<T>(steps: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (const step of steps) out.push(await step());
  return out;
}
