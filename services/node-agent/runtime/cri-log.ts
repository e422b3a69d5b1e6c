/**
 * Writing the CRI container log format (`<RFC3339Nano time> <stream> <F|P> <text>`), for runtimes
 * that produce log lines themselves (the fake runtime; tests). One full (F) record per line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type LogStream = 'stdout' | 'stderr';

/** The CRI timestamp of `ms` (RFC 3339 with nanoseconds; JavaScript time only has ms, so the rest is zeros). */
export function criTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** The CRI log records of `text` on `stream` at `ms`: one full record per line (a trailing newline ends the last). */
export function criLogRecords(ms: number, stream: LogStream, text: string): string {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const at = criTimestamp(ms);
  return lines.map((line) => `${at} ${stream} F ${line}\n`).join('');
}

/** Appends `text` to the CRI log file `file` (made with its folder when missing). */
export function appendCriLog(file: string, ms: number, stream: LogStream, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, criLogRecords(ms, stream, text));
}
