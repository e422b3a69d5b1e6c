/**
 * Flags the control-plane components (controller-manager, scheduler) share: the environment
 * variable of each flag, and the three leader-election durations with Kubernetes' defaults.
 */
import { Option } from 'commander';
import { ConfigError } from '../store/server/member-config';

/** Environment variable of a component's flag: ('scheduler', 'apiserver') → BOSUN_SCHEDULER_APISERVER. */
export function componentEnv(component: string, flag: string): string {
  return `BOSUN_${component.toUpperCase().replace(/-/g, '_')}_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** A duration flag in seconds, as a positive number of milliseconds. */
export function secondsFlag(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`--${flag}: "${value}" is not a positive number of seconds`);
  return Math.round(n * 1000);
}

/** The leader-election flags of `component` (Kubernetes' defaults: 15 s, 10 s, 2 s). */
export function leaderElectionOptions(component: string): Option[] {
  const opt = (flag: string, description: string, defaultValue: string) => new Option(`--${flag} <value>`, description).env(componentEnv(component, flag)).default(defaultValue);
  return [
    opt('leader-elect-lease-duration', 'seconds a lease is valid without renewal', '15'),
    opt('leader-elect-renew-deadline', 'seconds the leader tries to renew before it steps down', '10'),
    opt('leader-elect-retry-period', 'seconds between attempts to acquire or renew', '2'),
  ];
}

/** The leader-election durations parsed from the options of {@link leaderElectionOptions}. */
export function leaderElectionDurations(o: Record<string, string>): { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number } {
  return {
    leaseDurationMs: secondsFlag('leader-elect-lease-duration', o.leaderElectLeaseDuration!),
    renewDeadlineMs: secondsFlag('leader-elect-renew-deadline', o.leaderElectRenewDeadline!),
    retryPeriodMs: secondsFlag('leader-elect-retry-period', o.leaderElectRetryPeriod!),
  };
}
