/**
 * The tiny command set the fake runtime "runs" inside a container for exec, exec probes and
 * lifecycle hooks: `true`, `false`, `echo ARGS…`, `sh -c 'exit N'` / `sh -c 'echo …'` /
 * `sh -c 'true'|'false'`, and `cat PATH` (PATH resolved through the container's mounts to a file
 * on the node). Anything else answers as a shell does for a missing program (exit 127).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Mount } from './runtime';

/** What a builtin command printed and how it ended. */
export interface FakeCommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** How long its `sleep`s take, ms (it ends, with exitCode, that long after it starts). */
  sleepMs?: number;
  /** It runs until stopped (a program the fake does not know, such as a server). */
  forever?: boolean;
}

/** Exit code of a shell for a command it cannot find. */
export const COMMAND_NOT_FOUND_EXIT = 127;
const MS_PER_SECOND = 1000;

/**
 * Runs `cmd` with the container's `mounts` and environment; never throws. `sh -c SCRIPT` runs
 * the script's `;`-separated statements: assignments, `echo` (`$VAR` expanded, `>&2` to stderr,
 * `> file` discarded), `sleep N`, `exit N`, `true`, `false`, `cat`, and `exec` of any of these.
 * An unknown program runs forever when `unknownRunsForever` (a container's main process), else
 * exits 127 as a shell reports it.
 */
export function runFakeCommand(cmd: readonly string[], mounts: readonly Mount[], env: Record<string, string> = {}, unknownRunsForever = false): FakeCommandResult {
  const vars = { ...env };
  const statements = (cmd[0] === 'sh' || cmd[0] === '/bin/sh') && cmd[1] === '-c' ? splitStatements(cmd[2] ?? '') : [[...cmd]];
  const out: FakeCommandResult = { exitCode: 0, stdout: '', stderr: '', sleepMs: 0 };
  for (const raw of statements) {
    let words = typeof raw === 'string' ? splitWords(expand(raw, vars)) : raw;
    if (words[0] === 'exec') words = words.slice(1);
    if (words.length === 0) continue;
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(words[0]!);
    if (assignment && words.length === 1) {
      vars[assignment[1]!] = assignment[2]!;
      continue;
    }
    let target: 'stdout' | 'stderr' | 'discard' = 'stdout';
    const redirect = words.findIndex((w) => w === '>&2' || w === '1>&2' || w === '>' || w.startsWith('>'));
    if (redirect >= 0) {
      target = words[redirect]!.endsWith('&2') ? 'stderr' : 'discard';
      words = words.slice(0, redirect);
    }
    const [program, ...args] = words;
    if (program === 'sleep') {
      const seconds = Number(args[0]);
      out.sleepMs! += Number.isFinite(seconds) && seconds > 0 ? seconds * MS_PER_SECOND : 0;
      out.exitCode = 0;
      continue;
    }
    if (program === 'exit') {
      const code = Number(args[0] ?? '0');
      out.exitCode = Number.isInteger(code) ? code & 0xff : 2;
      return out;
    }
    const r = builtin(program ?? '', args, mounts);
    if (!r) {
      if (unknownRunsForever) return { ...out, forever: true };
      out.stderr += `sh: ${program ?? ''}: not found\n`;
      out.exitCode = COMMAND_NOT_FOUND_EXIT;
      continue;
    }
    if (target === 'stdout') out.stdout += r.stdout;
    else if (target === 'stderr') out.stderr += r.stdout;
    out.stderr += r.stderr;
    out.exitCode = r.exitCode;
  }
  return out;
}

/** The builtins that print and end at once; undefined for anything else. */
function builtin(program: string, args: readonly string[], mounts: readonly Mount[]): FakeCommandResult | undefined {
  switch (program) {
    case 'true':
      return ok('');
    case 'false':
      return { exitCode: 1, stdout: '', stderr: '' };
    case 'echo':
      return ok(`${args.join(' ')}\n`);
    case 'cat':
      return cat(args, mounts);
    default:
      return undefined;
  }
}

/** `$VAR` and `${VAR}` replaced from `vars` (unset: empty), outside single quotes. */
function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/'[^']*'|\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => (m.startsWith("'") ? m : (vars[a ?? b ?? ''] ?? '')));
}

/** A script's statements, split at `;` and newlines outside quotes. */
function splitStatements(script: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (const ch of script) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ';' || ch === '\n') {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur.trim());
  return out.filter((s) => s !== '');
}

function ok(stdout: string): FakeCommandResult {
  return { exitCode: 0, stdout, stderr: '' };
}

/** `cat` of container paths, read through the mount with the longest matching containerPath. */
function cat(paths: readonly string[], mounts: readonly Mount[]): FakeCommandResult {
  let stdout = '';
  for (const p of paths) {
    const host = hostPathOf(p, mounts);
    try {
      if (!host) throw new Error('not mounted');
      stdout += fs.readFileSync(host, 'utf8');
    } catch {
      return { exitCode: 1, stdout, stderr: `cat: ${p}: No such file or directory\n` };
    }
  }
  return ok(stdout);
}

/** The node path of `containerPath`, or undefined when no mount covers it. */
export function hostPathOf(containerPath: string, mounts: readonly Mount[]): string | undefined {
  let best: Mount | undefined;
  for (const m of mounts) {
    const prefix = m.containerPath.replace(/\/+$/, '');
    const covers = containerPath === prefix || containerPath.startsWith(`${prefix}/`);
    if (covers && (!best || prefix.length > best.containerPath.length)) best = m;
  }
  if (!best) return undefined;
  if (best.isFile) return best.hostPath;
  return path.join(best.hostPath, containerPath.slice(best.containerPath.replace(/\/+$/, '').length));
}

/** A shell line split into words: whitespace-separated, single and double quotes grouping. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}
