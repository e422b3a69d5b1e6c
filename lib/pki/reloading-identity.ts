/**
 * A TLS identity (certificate and key) that follows its files while the process runs, the way
 * kube-apiserver and etcd reload `--tls-cert-file` / `--cert-file` when the files change: the one
 * mechanism every Bosun TLS server and client uses to pick up a certificate renewed under it
 * (lib/pki/cert-renewal.ts). New connections get the new certificate; open ones keep theirs.
 *
 * The files are checked every RELOAD_CHECK_INTERVAL_MS while someone listens (a stat each; the
 * timer never holds the process open and stops with the last listener), and on every current()
 * when nobody does (a client that builds its TLS options per connection). A change is taken only
 * when the certificate and key read fit together: issuers write the key first, then the
 * certificate (each atomically), so a reader between the two writes sees a mismatch, keeps what it
 * has and reads again at the next check.
 */
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { sleepSync } from '../sleep-sync';

/** How often the files are looked at for a change while someone listens. */
export const RELOAD_CHECK_INTERVAL_MS = 1000;

/** A PEM certificate (chain) and its PEM private key. */
export interface IdentityPem {
  readonly cert: string;
  readonly key: string;
}

/** An identity that may change while the process runs. */
export interface IdentitySource {
  /** The identity now. */
  current(): IdentityPem;
  /** Calls `listener` with each new identity; returns the call that stops it. */
  subscribe(listener: (identity: IdentityPem) => void): () => void;
}

/** Throws unless `identity`'s key belongs to its certificate (and both parse). */
function checkPair(identity: IdentityPem): void {
  tls.createSecureContext({ cert: identity.cert, key: identity.key });
}

/** How long a first read waits for a pair that does not fit yet (another process between its two writes). */
export const FIT_WAIT_MS = 3000;
const FIT_RETRY_MS = 50;

/**
 * Reads an identity with `load` until its key fits its certificate, for at most FIT_WAIT_MS: a
 * process starting while another renews the same files (two apiservers sharing a certificate
 * directory) may read the new key beside the old certificate. Throws the last mismatch after
 * that, or at once when a file cannot be read. Blocks the thread while it waits: it is for
 * start-up reads, not for serving.
 */
export function readFittingPair(load: () => IdentityPem, waitMs = FIT_WAIT_MS): IdentityPem {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const identity = load();
    try {
      checkPair(identity);
      return identity;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      sleepSync(FIT_RETRY_MS);
    }
  }
}

/** See the file header. */
export class ReloadingIdentity implements IdentitySource {
  private identity: IdentityPem;
  /** The files' stat signature when `identity` was read. */
  private signature: string;
  private readonly listeners = new Set<(identity: IdentityPem) => void>();
  private timer: NodeJS.Timeout | undefined;

  /**
   * `load` reads the identity from `files` (the files whose change means a new identity). Reads
   * it at once; throws when that fails or the pair does not fit.
   */
  constructor(
    private readonly load: () => IdentityPem,
    private readonly files: readonly string[],
    private readonly intervalMs: number = RELOAD_CHECK_INTERVAL_MS,
  ) {
    this.signature = this.stat();
    this.identity = readFittingPair(load);
  }

  /** The identity of a certificate file and a key file. */
  static fromFiles(certFile: string, keyFile: string, intervalMs?: number): ReloadingIdentity {
    return new ReloadingIdentity(() => ({ cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') }), [certFile, keyFile], intervalMs);
  }

  /** The identity now; without listeners (so without the timer) the files are looked at first. */
  current(): IdentityPem {
    if (!this.timer) this.check();
    return this.identity;
  }

  subscribe(listener: (identity: IdentityPem) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /**
   * Looks at the files now: when they changed and hold a fitting pair, takes it and tells the
   * listeners. True when the identity changed. (The timer calls it; tests call it directly.)
   */
  check(): boolean {
    const signature = this.stat();
    if (signature === this.signature) return false;
    let next: IdentityPem;
    try {
      next = this.load();
      checkPair(next);
    } catch {
      return false; // half-written (key renewed, certificate not yet) or unreadable: next check
    }
    this.signature = signature;
    if (next.cert === this.identity.cert && next.key === this.identity.key) return false;
    this.identity = next;
    for (const listener of [...this.listeners]) listener(next);
    return true;
  }

  /** Modification time, inode and size of every file ('' for one missing: mid-rename). */
  private stat(): string {
    return this.files
      .map((f) => {
        try {
          const st = fs.statSync(f);
          return `${st.mtimeMs}:${st.ino}:${st.size}`;
        } catch {
          return '';
        }
      })
      .join('|');
  }
}

/** Longest a timer can wait (setTimeout's limit, about 24.8 days); a later expiry is re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Ends `socket` when the first of the certificates its handshake used (the server's and, when
 * one was presented, the client's) expires: both sides check certificates only at the handshake,
 * so without this a connection could outlive them forever. Its client reconnects, and the new
 * handshake uses the renewed certificates.
 */
export function endAtCertificateExpiry(socket: tls.TLSSocket, nowMs: () => number = Date.now): void {
  const notAfters = [socket.getCertificate(), socket.getPeerCertificate()]
    .map((c) => Date.parse((c as { valid_to?: string } | null)?.valid_to ?? ''))
    .filter((t) => Number.isFinite(t));
  if (notAfters.length === 0) return;
  const expiry = Math.min(...notAfters);
  let timer: NodeJS.Timeout;
  const arm = () => {
    const wait = expiry - nowMs();
    if (wait <= 0) {
      socket.destroy();
      return;
    }
    timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Keeps `server` serving `source`'s identity: each new one replaces the server's secure context
 * (`options` plus the new certificate and key), for the connections that come after; and ends
 * each connection when a certificate of its handshake expires ({@link endAtCertificateExpiry}).
 * Stops following when the server closes.
 */
export function serveReloadingIdentity(server: tls.Server, source: IdentitySource, options: tls.SecureContextOptions): void {
  const unsubscribe = source.subscribe((identity) => server.setSecureContext({ ...options, cert: identity.cert, key: identity.key }));
  server.on('secureConnection', (socket: tls.TLSSocket) => endAtCertificateExpiry(socket));
  server.once('close', unsubscribe);
}
