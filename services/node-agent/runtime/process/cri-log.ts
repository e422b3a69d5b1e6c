/**
 * The CRI container log format, as the monitor (native/bosun-monitor.c) writes it and as
 * `kubectl logs` reads it: one record per line, `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`,
 * F for a full line, P for a piece of a line cut at the writer's buffer size (the next records
 * continue it). Pure functions; attach follows a log file with them.
 */

export type LogStreamName = 'stdout' | 'stderr';

export interface CriLogRecord {
  /** The time as written (RFC3339Nano), kept as text so no precision is lost. */
  time: string;
  stream: LogStreamName;
  /** True for an F record: the text ended with a newline the record does not include. */
  full: boolean;
  text: string;
}

/** Formats one record (with its trailing newline); `time` defaults to now, in Go's RFC3339Nano. */
export function formatCriLogRecord(stream: LogStreamName, text: string, full: boolean, time = rfc3339Nano(new Date())): string {
  return `${time} ${stream} ${full ? 'F' : 'P'} ${text}\n`;
}

/** Go's RFC3339Nano for a Date (millisecond precision, trailing zeros of the fraction dropped). */
export function rfc3339Nano(d: Date): string {
  const iso = d.toISOString(); // 2006-01-02T15:04:05.000Z
  const [base, fraction] = iso.slice(0, -1).split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${base}${trimmed ? `.${trimmed}` : ''}Z`;
}

/** Parses one line (without its newline); null for a line that is not a CRI record. */
export function parseCriLogLine(line: string): CriLogRecord | null {
  const m = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/s.exec(line);
  if (!m) return null;
  return { time: m[1], stream: m[2] as LogStreamName, full: m[3] === 'F', text: m[4] };
}

/** The bytes a record stands for in the original stream: its text, plus the newline of an F record. */
export function recordPayload(record: CriLogRecord): string {
  return record.full ? `${record.text}\n` : record.text;
}

/**
 * Splits a growing log into complete lines: feed it chunks as they are read, get the parsed
 * records of every complete line; a line still being written stays buffered.
 */
export class CriLogLineSplitter {
  private rest = '';

  push(chunk: string): CriLogRecord[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    const out: CriLogRecord[] = [];
    for (const line of lines) {
      const record = parseCriLogLine(line);
      if (record) out.push(record);
    }
    return out;
  }
}
