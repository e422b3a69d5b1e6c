/**
 * The query parameters of the streaming endpoints, checked as the kubelet and apiserver check
 * them: a bad value is a 400 naming the parameter.
 */
import { BadRequestError } from '../../../lib/api/errors';
import { parseRfc3339, type LogOptions } from './log-reader';

/** What containerLogs asks for. */
export interface LogQuery extends LogOptions {
  readonly previous: boolean;
}

/** What exec and attach ask for. */
export interface StreamQuery {
  readonly command: string[];
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/** Parses the pods/log (containerLogs) parameters; `nowMs` turns sinceSeconds into a time. */
export function parseLogQuery(q: URLSearchParams, nowMs: number): LogQuery {
  const tailLines = intParam(q, 'tailLines', 0);
  const limitBytes = intParam(q, 'limitBytes', 1);
  const sinceSeconds = intParam(q, 'sinceSeconds', 1);
  const sinceTimeText = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTimeText) throw new BadRequestError('at most one of sinceTime or sinceSeconds may be specified');
  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = nowMs - sinceSeconds * 1000;
  if (sinceTimeText) {
    sinceMs = parseRfc3339(sinceTimeText);
    if (Number.isNaN(sinceMs)) throw new BadRequestError(`sinceTime: Invalid value: "${sinceTimeText}": must be an RFC3339 time`);
  }
  return {
    follow: boolParam(q, 'follow'),
    previous: boolParam(q, 'previous'),
    timestamps: boolParam(q, 'timestamps'),
    tailLines,
    limitBytes,
    sinceMs,
  };
}

/** Parses the exec/attach parameters; exec needs a command, and some stream must be asked for. */
export function parseStreamQuery(q: URLSearchParams, kind: 'exec' | 'attach'): StreamQuery {
  const query: StreamQuery = {
    command: q.getAll('command'),
    stdin: boolParam(q, 'stdin') || boolParam(q, 'input'),
    stdout: boolParam(q, 'stdout') || boolParam(q, 'output'),
    stderr: boolParam(q, 'stderr') || boolParam(q, 'error'),
    tty: boolParam(q, 'tty'),
  };
  if (kind === 'exec' && query.command.length === 0) throw new BadRequestError('command: Required value: you must specify at least 1 command');
  if (!query.stdin && !query.stdout && !query.stderr) throw new BadRequestError('you must specify at least 1 of stdin, stdout, stderr');
  return query;
}

/** A boolean query parameter: "true"/"1" (or present without a value) is true. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && (v === '' || v === 'true' || v === '1');
}

/** An integer parameter at least `min`; undefined when absent; 400 naming it when bad. */
export function intParam(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n)) throw new BadRequestError(`${name}: Invalid value: "${v}": must be an integer`);
  if (n < min) throw new BadRequestError(`${name}: Invalid value: ${n}: must be greater than or equal to ${min}`);
  return n;
}
