import type { Strategy } from '../../registry/strategy';
import { cronJobStrategy } from './cronjob';
import { jobStrategy } from './job';

export * from './cron-schedule';
export * from './cronjob';
export * from './job';

/** The registry strategies of the batch/v1 kinds. */
export const batchStrategies: Strategy[] = [jobStrategy, cronJobStrategy];
