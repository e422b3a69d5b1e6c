/**
 * Where audit events go (`--audit-log-path`): one audit.k8s.io/v1 Event per line of JSON, in a
 * file rotated by size (`--audit-log-maxsize` MB: the full file is renamed
 * `<name>-<UTC time><ext>` and a new one started; the newest `--audit-log-maxbackup` of those
 * are kept), or standard output for the path "-". Writes are synchronous appends, so an event
 * is in the file before the response it describes is sent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Receives audit events. */
export interface AuditSink {
  write(event: object): void;
  close(): void;
}

const BYTES_PER_MB = 1024 * 1024;

/** Kubernetes' defaults: rotate at 100 MB, keep every backup (0: no limit). */
export const DEFAULT_AUDIT_LOG_MAX_SIZE_MB = 100;
export const DEFAULT_AUDIT_LOG_MAX_BACKUPS = 0;

/** The audit log file (see the file comment). */
export class RotatingAuditLog implements AuditSink {
  private fd: number | undefined;
  private size = 0;

  constructor(
    private readonly file: string,
    private readonly maxSizeMb = DEFAULT_AUDIT_LOG_MAX_SIZE_MB,
    private readonly maxBackups = DEFAULT_AUDIT_LOG_MAX_BACKUPS,
  ) {
    if (file !== '-') this.open();
  }

  write(event: object): void {
    const line = `${JSON.stringify(event)}\n`;
    if (this.file === '-') {
      process.stdout.write(line);
      return;
    }
    const bytes = Buffer.byteLength(line);
    if (this.maxSizeMb > 0 && this.size > 0 && this.size + bytes > this.maxSizeMb * BYTES_PER_MB) this.rotate();
    fs.writeSync(this.fd!, line);
    this.size += bytes;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    const ext = path.extname(this.file);
    const base = this.file.slice(0, this.file.length - ext.length);
    const stamp = new Date().toISOString().replace(/:/g, '-').replace('Z', '');
    fs.renameSync(this.file, `${base}-${stamp}${ext}`);
    if (this.maxBackups > 0) {
      const dir = path.dirname(this.file);
      const prefix = `${path.basename(base)}-`;
      const backups = fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith(ext)).sort();
      for (const old of backups.slice(0, Math.max(0, backups.length - this.maxBackups))) fs.rmSync(path.join(dir, old), { force: true });
    }
    this.open();
  }
}
