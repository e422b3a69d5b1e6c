/**
 * Flags the components share (one CLI module for them, not one command importing another's):
 * the environment variable of each flag, host:port endpoints, and the three leader-election
 * durations with Kubernetes' defaults.
 */
import { Option } from 'commander';
import { ConfigError } from '../store/server/member-config';

/** Environment variable of a component's flag: ('scheduler', 'apiserver') → BOSUN_SCHEDULER_APISERVER. */
export function componentEnv(component: string, flag: string): string {
  return `BOSUN_${component.toUpperCase().replace(/-/g, '_')}_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** host:port, or ConfigError naming the flag. */
export function parseHostPort(flag: string, value: string): string {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value.trim());
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`--${flag}: "${value}" is not host:port`);
  return value.trim();
}

/** A comma-separated list of host:port (http:// prefixes, as etcd clients write them, are accepted). */
export function parseEndpoints(flag: string, value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim().replace(/^https?:\/\//, ''))
    .filter((s) => s !== '');
  if (list.length === 0) throw new ConfigError(`--${flag}: no endpoints given`);
  return list.map((e) => parseHostPort(flag, e));
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
