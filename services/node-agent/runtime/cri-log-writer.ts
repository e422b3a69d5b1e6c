/**
 * Appending records in the CRI container log format (runtime/process/cri-log.ts formats them)
 * for runtimes that produce log text themselves (the fake runtime): one full (F) record per line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatCriLogRecord, rfc3339Nano, type LogStreamName } from './process/cri-log';

/** Appends `text` at time `ms` on `stream` to the CRI log `file` (made with its folder when missing). */
export function appendCriLog(file: string, ms: number, stream: LogStreamName, text: string): void {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const time = rfc3339Nano(new Date(ms));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, lines.map((line) => formatCriLogRecord(stream, line, true, time)).join(''));
}
