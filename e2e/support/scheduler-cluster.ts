/**
 * The scheduler's end-to-end cluster: a control plane with two scheduler replicas, no
 * controller-manager and no simulated nodes (the tests create the Node objects they need).
 */
import { ControlPlaneCluster } from './control-plane-cluster';

export { nodeManifest } from './control-plane-cluster';

/** Options of a scheduler cluster. */
export interface SchedulerClusterOptions {
  /** Store members (default 1). */
  readonly members?: number;
  /** Extra flags for both schedulers (e.g. shorter leader-election durations). */
  readonly schedulerArgs?: readonly string[];
}

export type SchedulerCluster = ControlPlaneCluster;

export const SchedulerCluster = {
  start: (prefix: string, opts: SchedulerClusterOptions = {}): Promise<ControlPlaneCluster> =>
    ControlPlaneCluster.start(prefix, { ...opts, schedulers: 2, controllerManagers: 0, nodes: [] }),
};
