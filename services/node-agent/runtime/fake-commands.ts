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
}

/** Exit code of a shell for a command it cannot find. */
export const COMMAND_NOT_FOUND_EXIT = 127;

/** Runs `cmd` with the container's `mounts`; never throws. */
export function runFakeCommand(cmd: readonly string[], mounts: readonly Mount[]): FakeCommandResult {
  const [program, ...args] = cmd;
  switch (program) {
    case 'true':
      return ok('');
    case 'false':
      return { exitCode: 1, stdout: '', stderr: '' };
    case 'echo':
      return ok(`${args.join(' ')}\n`);
    case 'cat':
      return cat(args, mounts);
    case 'sh':
    case '/bin/sh':
      if (args[0] === '-c' && args.length >= 2) return runFakeCommand(splitWords(args[1]!), mounts);
      break;
    case 'exit': {
      const code = Number(args[0] ?? '0');
      return { exitCode: Number.isInteger(code) ? code & 0xff : 2, stdout: '', stderr: '' };
    }
    default:
      break;
  }
  return { exitCode: COMMAND_NOT_FOUND_EXIT, stdout: '', stderr: `${program ?? ''}: not found\n` };
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
