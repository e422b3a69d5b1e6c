/**
 * Copies a Docker container's output into its CRI log file.
 *
 * The engine keeps every container's stdout/stderr in its json-file log (with nanosecond
 * timestamps) whether or not anyone listens; a copier follows that log through the engine's
 * logs API and appends one CRI line per record (`<RFC3339Nano> <stream> <F|P> <text>`). The CRI
 * file is its own checkpoint: a copier started later (a restarted agent, or the container long
 * exited) reads the last timestamp already in the file, asks the engine for records since then
 * and skips what it already wrote, so records are neither lost nor doubled across restarts.
 *
 * Tradeoff (vs. dockershim's symlink to the json-file log, which needed a kubelet that reads the
 * Docker format): the CRI file is exact and in the agreed format, but only current while a copier
 * runs — a LogShipper hosted in the agent, or in its own detached process (log-shipper-main.ts)
 * that outlives the agent. Records are never lost while none runs: the engine buffers them
 * (bounded by ENGINE_LOG_MAX_SIZE × files) and the next copier catches up.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { engineSince } from './engine-errors';

/** Docker's stream-multiplexing header: [stream type, 0, 0, 0, payload size (uint32 BE)]. */
const MUX_HEADER_BYTES = 8;
const MUX_STDERR = 2;
/** How much of the file's tail is read to find the last timestamp, bytes (above the engine's 16 KiB record size). */
const TAIL_READ_BYTES = 64 * 1024;

/** Nanoseconds since the epoch of an RFC3339 timestamp with up to 9 fraction digits; null if unparseable. */
export function timestampNanos(ts: string): bigint | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return null;
  const secondsMs = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(secondsMs)) return null;
  return BigInt(secondsMs) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** The RFC3339 timestamp with exactly nine fraction digits, in UTC. */
export function formatNanos(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** One CRI log line for an engine record `text` (which ends in '\n' unless the engine cut it). */
export function criLine(ns: bigint, stream: 'stdout' | 'stderr', text: string): string {
  const full = text.endsWith('\n');
  const body = full ? text.slice(0, -1) : text;
  return `${formatNanos(ns)} ${stream} ${full ? 'F' : 'P'} ${body}\n`;
}

/** The timestamp of the last CRI line in `file`, or null (no file, empty, or unreadable). */
export async function lastLoggedNanos(file: string): Promise<bigint | null> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(file, 'r');
    const { size } = await fh.stat();
    const start = Math.max(0, size - TAIL_READ_BYTES);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n').filter((l) => l.length > 0);
    for (let i = lines.length - 1; i >= 0; i--) {
      const ns = timestampNanos(lines[i].split(' ', 1)[0]);
      if (ns !== null) return ns;
    }
    return null;
  } catch {
    return null;
  } finally {
    await fh?.close();
  }
}

/**
 * Splits the engine's multiplexed log stream into records. Each frame carries one record,
 * `<timestamp> <text>`; frames may arrive cut across chunks.
 */
class MuxParser {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly onRecord: (stream: 'stdout' | 'stderr', payload: string) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= MUX_HEADER_BYTES) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < MUX_HEADER_BYTES + size) break;
      const stream = this.pending[0] === MUX_STDERR ? 'stderr' : 'stdout';
      this.onRecord(stream, this.pending.subarray(MUX_HEADER_BYTES, MUX_HEADER_BYTES + size).toString('utf8'));
      this.pending = this.pending.subarray(MUX_HEADER_BYTES + size);
    }
  }
}

/**
 * A TTY container's log stream is not multiplexed: records are concatenated; each one's text is
 * taken up to its newline (a TTY's output is one stream, reported as stdout).
 */
class RawParser {
  private pending = '';
  constructor(private readonly onRecord: (stream: 'stdout', payload: string) => void) {}

  push(chunk: Buffer): void {
    this.pending += chunk.toString('utf8');
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      this.onRecord('stdout', this.pending.slice(0, nl + 1));
      this.pending = this.pending.slice(nl + 1);
    }
  }
}

/**
 * Follows one container's engine log into `logPath` until the container has stopped and every
 * record is written (`done` resolves), or `stop()` is called.
 */
export class CriLogCopier {
  private stream: Readable | null = null;
  private stopped = false;
  private writes: Promise<void> = Promise.resolve();
  readonly done: Promise<void>;

  constructor(
    private readonly docker: Dockerode,
    readonly containerId: string,
    readonly logPath: string,
    private readonly tty: boolean,
    private readonly onError: (err: unknown) => void,
  ) {
    this.done = this.run().catch((err) => {
      if (!this.stopped) this.onError(err);
    });
  }

  /** Stops following (records not yet received stay in the engine for the next copier). */
  stop(): void {
    this.stopped = true;
    this.stream?.destroy();
  }

  /**
   * Appends without creating: once the runtime removed the container and its log, a late write
   * must not bring the file back (the copier then stops).
   */
  private async append(text: string): Promise<void> {
    if (this.stopped) return;
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(this.logPath, fs.constants.O_WRONLY | fs.constants.O_APPEND);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.stop();
      throw err;
    }
    try {
      await fh.write(text);
    } finally {
      await fh.close();
    }
  }

  private async run(): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.logPath), { recursive: true });
    await fs.promises.writeFile(this.logPath, '', { flag: 'a' });
    const last = await lastLoggedNanos(this.logPath);
    if (this.stopped) return;
    const since = last === null ? 0 : engineSince(last);
    const stream = (await this.docker.getContainer(this.containerId).logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      since: since as number,
    })) as unknown as Readable;
    this.stream = stream;
    if (this.stopped) {
      stream.destroy();
      return;
    }
    let batch = '';
    const onRecord = (kind: 'stdout' | 'stderr', payload: string): void => {
      const space = payload.indexOf(' ');
      const ns = space > 0 ? timestampNanos(payload.slice(0, space)) : null;
      if (ns === null) return;
      if (last !== null && ns <= last) return; // already in the file
      batch += criLine(ns, kind, payload.slice(space + 1));
    };
    const parser = this.tty ? new RawParser(onRecord) : new MuxParser(onRecord);
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        parser.push(chunk);
        if (batch) {
          const text = batch;
          batch = '';
          this.writes = this.writes.then(() => this.append(text)).catch(this.onError);
        }
      });
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', (err) => (this.stopped ? resolve() : reject(err)));
    });
    await this.writes;
  }
}
