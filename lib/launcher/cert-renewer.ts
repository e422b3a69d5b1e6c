/**
 * `bosun up`'s side of certificate rotation: it holds the cluster CA and the store's CA, so it
 * renews, while the cluster runs, every leaf certificate they signed once it is due
 * (lib/pki/cert-renewal.ts) — at start and then every renewalCheckIntervalMs. The components
 * follow their files (lib/pki/reloading-identity.ts) and serve or present the new certificates on
 * new connections without a restart.
 */
import { realClock, type Clock, type Timer } from '../client/clock';
import { certValiditySeconds, renewalCheckIntervalMs, renewDueCertificates } from '../pki/cert-renewal';

/** What one check renewed (or failed to), per CA directory. */
export interface RenewalReport {
  readonly dir: string;
  readonly renewed: readonly string[];
  readonly failed: readonly { readonly name: string; readonly error: string }[];
}

/** What a CertRenewer works on and whom it tells. */
export interface CertRenewerOptions {
  /** The CA directories (each with ca.crt / ca.key and the `<name>.crt/.key` it signed). */
  readonly dirs: readonly string[];
  /**
   * Hears every check that renewed or failed something (e.g. to rewrite the kubeconfigs that
   * embed a renewed client certificate, and to say so).
   */
  readonly onChecked: (reports: RenewalReport[]) => void;
  /** Hears what went wrong in a timed check (onChecked throwing); the timer goes on. */
  readonly onError?: (err: Error) => void;
  /** Pause between checks; default renewalCheckIntervalMs of the configured validity. */
  readonly intervalMs?: number;
  readonly clock?: Clock;
}

/** See the file header. */
export class CertRenewer {
  private timer: Timer | undefined;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly clock: Clock;

  constructor(private readonly options: CertRenewerOptions) {
    this.intervalMs = options.intervalMs ?? renewalCheckIntervalMs(certValiditySeconds());
    this.clock = options.clock ?? realClock;
  }

  /** Checks now, then every interval until stop(). */
  start(): void {
    this.stopped = false;
    this.tick();
  }

  /** Renews what is due in every directory now; returns what it did (and tells onChecked when it did anything). */
  check(): RenewalReport[] {
    const now = this.clock.now();
    const reports = this.options.dirs.map((dir) => ({ dir, ...renewDueCertificates(dir, now) })).filter((r) => r.renewed.length > 0 || r.failed.length > 0);
    if (reports.length > 0) this.options.onChecked(reports);
    return reports;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private tick(): void {
    if (this.stopped) return;
    try {
      this.check();
    } catch (err) {
      this.options.onError?.(err as Error);
    }
    this.timer = this.clock.setTimer(this.intervalMs, () => this.tick());
  }
}
