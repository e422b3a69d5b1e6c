import * as path from 'node:path';

/**
 * Settings every benchmark shares: the cluster it runs against, how quiet the machine must be
 * first, and where the figures go.
 */

/** Store members of the benchmarked cluster. */
export const MEMBERS = 3;
/** Before measuring, wait for other processes to use less than this share of the CPUs... */
export const QUIET_BUSY_FRACTION = 0.15;
/** ...but no longer than this, ms. */
export const QUIET_WAIT_MS = 10_000;
/** Time profiled processes get to write their profiles after SIGUSR2, ms. */
export const PROFILE_WRITE_MS = 1_000;
/** Extra time a phase gets beyond its own caps before the runner gives up on it, ms. */
export const PHASE_SLACK_MS = 60_000;
/** Where results and profiles are written (gitignored). */
export const RESULTS_DIR = path.resolve(__dirname, '..', '..', '..', 'bench', 'results');
