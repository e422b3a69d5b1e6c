/**
 * `leader_election_master_status{name}` (client-go's leader election gauge): 1 while this
 * process holds the lease `name`, 0 otherwise. Read at scrape time from the electors this
 * process tracks, so it is never stale.
 */
import { Gauge, type Registry } from 'prom-client';
import { sharedMetric } from './registry';

/** The gauge's name (Kubernetes'). */
export const LEADER_ELECTION_MASTER_STATUS = 'leader_election_master_status';

/** Per registry: lease name → whether this process leads it now. */
const tracked = new WeakMap<Registry, Map<string, () => boolean>>();

/**
 * Reports leadership of the lease `name` through `registry` (`isLeader` is asked at every
 * scrape); a later call for the same name replaces the earlier one.
 */
export function trackLeadership(registry: Registry, name: string, isLeader: () => boolean): void {
  let electors = tracked.get(registry);
  if (!electors) {
    const byName = new Map<string, () => boolean>();
    electors = byName;
    tracked.set(registry, byName);
    sharedMetric(
      registry,
      LEADER_ELECTION_MASTER_STATUS,
      () =>
        new Gauge({
          name: LEADER_ELECTION_MASTER_STATUS,
          help: 'Whether this process currently leads through the named lease: 1 leading, 0 standing by',
          labelNames: ['name'],
          registers: [registry],
          collect() {
            for (const [lease, leading] of byName) this.set({ name: lease }, leading() ? 1 : 0);
          },
        }),
    );
  }
  electors.set(name, isLeader);
}
