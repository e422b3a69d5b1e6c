/**
 * Reads a container's log file in the CRI log format (one record per line:
 * `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`) the way `kubectl logs` asks for it:
 * records since a time, the last N lines, with or without their timestamps, at most N bytes,
 * and — when following — the records appended after, until the container has exited and the
 * file is read to its end, or the caller goes away.
 *
 * A full record (F) ends with a newline; a partial one (P, a long line the runtime cut) does
 * not, so the pieces join up into the original line. A line still being written (no newline
 * yet in the file) is held back until it is complete.
 */
import * as fs from 'node:fs/promises';
import type { Writable } from 'node:stream';

/** How often a followed log is checked for new records while nothing arrives. */
export const LOG_FOLLOW_POLL_INTERVAL_MS = 100;
/** Bytes read from the file at a time. */
const READ_CHUNK_BYTES = 64 * 1024;

/** One record of a CRI log file. */
export interface CriLogRecord {
  /** The timestamp as written (RFC3339 with nanoseconds). */
  readonly time: string;
  /** The timestamp in milliseconds since the epoch. */
  readonly timeMs: number;
  readonly stream: 'stdout' | 'stderr';
  /** True for a P record (the line goes on in the next record). */
  readonly partial: boolean;
  readonly content: Buffer;
}

/** What `kubectl logs` asks for (the query parameters of pods/log). */
export interface LogOptions {
  readonly follow?: boolean;
  /** Only the last N records (absent: all). */
  readonly tailLines?: number;
  /** Only records at or after this time, ms since the epoch (from sinceSeconds or sinceTime). */
  readonly sinceMs?: number;
  /** Prefix every record with its timestamp and a space. */
  readonly timestamps?: boolean;
  /** Stop after this many bytes of output. */
  readonly limitBytes?: number;
}

/** How a follow learns that it is over. */
export interface FollowControl {
  /** Whether the container may still write (false once it exited or is gone). */
  running(): Promise<boolean>;
  /** Aborted when the client went away. */
  readonly signal?: AbortSignal;
  /** Waits between polls (injectable for tests); default a timer of LOG_FOLLOW_POLL_INTERVAL_MS. */
  readonly wait?: (signal?: AbortSignal) => Promise<void>;
}

/** Parses one line of a CRI log file (without its newline); null when it is not a record. */
export function parseCriLogLine(line: Buffer): CriLogRecord | null {
  const s1 = line.indexOf(0x20);
  if (s1 <= 0) return null;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return null;
  const time = line.subarray(0, s1).toString('latin1');
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return null;
  // The tag field (F or P) is followed by a space and the text; an empty text may drop the space.
  const s3 = line.indexOf(0x20, s2 + 1);
  const tag = line.subarray(s2 + 1, s3 < 0 ? line.length : s3).toString('latin1');
  const timeMs = parseRfc3339(time);
  if (Number.isNaN(timeMs) || (tag !== 'F' && tag !== 'P')) return null;
  return { time, timeMs, stream, partial: tag === 'P', content: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1) };
}

/** The bytes a record contributes to the output. */
export function formatRecord(record: CriLogRecord, timestamps: boolean): Buffer {
  const parts: Buffer[] = [];
  if (timestamps) parts.push(Buffer.from(`${record.time} `, 'latin1'));
  parts.push(record.content);
  if (!record.partial) parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

/** RFC3339 (any number of fraction digits) to ms since the epoch; NaN when malformed. */
export function parseRfc3339(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return NaN;
  const ms = m[2] ? `.${m[2].slice(0, 3).padEnd(3, '0')}` : '';
  return Date.parse(`${m[1]}${ms}${m[3]}`);
}

/**
 * Writes the log at `file` to `out` as `options` ask; with `follow`, keeps reading appended
 * records until `control` says the container stopped (and the file is drained) or the signal
 * aborts. Resolves when done; never ends `out` (the caller does). A missing file is an empty log.
 */
export async function streamContainerLog(file: string, options: LogOptions, out: Writable, control?: FollowControl): Promise<void> {
  const timestamps = options.timestamps ?? false;
  let budget = options.limitBytes ?? Infinity;
  const emit = async (records: CriLogRecord[]): Promise<boolean> => {
    for (const r of records) {
      if (options.sinceMs !== undefined && r.timeMs < options.sinceMs) continue;
      let bytes = formatRecord(r, timestamps);
      if (bytes.length > budget) bytes = bytes.subarray(0, budget);
      budget -= bytes.length;
      if (!out.write(bytes)) await drained(out);
      if (budget <= 0) return false;
      if (out.destroyed || control?.signal?.aborted) return false;
    }
    return true;
  };

  const reader = new LogFileReader(file);
  let records = await reader.readNew();
  if (options.tailLines !== undefined) records = options.tailLines <= 0 ? [] : records.slice(-options.tailLines);
  if (!(await emit(records)) || !options.follow || !control) return;

  const wait = control.wait ?? ((signal?: AbortSignal) => delay(LOG_FOLLOW_POLL_INTERVAL_MS, signal));
  for (;;) {
    if (control.signal?.aborted || out.destroyed) return;
    const fresh = await reader.readNew();
    if (fresh.length > 0) {
      if (!(await emit(fresh))) return;
      continue;
    }
    if (!(await control.running())) {
      await emit(await reader.readNew()); // what was written between the last read and the exit
      return;
    }
    await wait(control.signal);
  }
}

/** Reads a growing log file incrementally: each call returns the complete records appended since. */
class LogFileReader {
  private offset = 0;
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly file: string) {}

  async readNew(): Promise<CriLogRecord[]> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (size < this.offset) {
        // Truncated or replaced (rotation): start over at its beginning.
        this.offset = 0;
        this.pending = Buffer.alloc(0);
      }
      const chunks: Buffer[] = [this.pending];
      while (this.offset < size) {
        const buf = Buffer.alloc(Math.min(READ_CHUNK_BYTES, size - this.offset));
        const { bytesRead } = await handle.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        chunks.push(buf.subarray(0, bytesRead));
      }
      const data = Buffer.concat(chunks);
      const lastNewline = data.lastIndexOf(0x0a);
      this.pending = data.subarray(lastNewline + 1);
      const records: CriLogRecord[] = [];
      let start = 0;
      while (start <= lastNewline) {
        const end = data.indexOf(0x0a, start);
        const record = parseCriLogLine(data.subarray(start, end));
        if (record) records.push(record);
        start = end + 1;
      }
      return records;
    } finally {
      await handle.close();
    }
  }
}

function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
