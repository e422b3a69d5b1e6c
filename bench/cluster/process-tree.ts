/**
 * The processes of one running `bosun up`, found through /proc: the launcher itself and every
 * descendant, each named after the component it runs (`store store-1`, `apiserver`, `node-agent
 * node-2`, …) from its command line, so the cluster benchmark can report memory and CPU per
 * component.
 */
import * as fs from 'node:fs';

/** One process of the cluster. */
export interface ClusterProcess {
  readonly pid: number;
  /** The component and, when its flags name it, the instance (`store store-2`); `launcher` for `bosun up`. */
  readonly name: string;
}

/** Flags whose value names a component's instance, in order of preference. */
const INSTANCE_FLAGS = ['--name', '--node-name', '--identity'];

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 4 (ppid) follows the state, after the parenthesised command name.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return [];
  }
}

/** The component name of a process from its argv: `node …/bosun.js store --name store-1` → `store store-1`. */
export function componentName(argv: readonly string[]): string {
  const script = argv.findIndex((a) => a.endsWith('bosun.js') || a.endsWith('/bosun'));
  if (script < 0) return argv.map((a) => a.split('/').pop()).join(' ').slice(0, 40);
  const command = argv[script + 1] ?? '';
  if (command === 'up') return 'launcher';
  for (const flag of INSTANCE_FLAGS) {
    const i = argv.indexOf(flag);
    if (i >= 0 && argv[i + 1]) return `${command} ${argv[i + 1]}`;
    const joined = argv.find((a) => a.startsWith(`${flag}=`));
    if (joined) return `${command} ${joined.slice(flag.length + 1)}`;
  }
  return command;
}

/** `root` and all its living descendants, named; duplicate names get `#2`, `#3` suffixes. */
export function clusterProcesses(root: number): ClusterProcess[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    const list = children.get(parent) ?? [];
    list.push(pid);
    children.set(parent, list);
  }
  const out: ClusterProcess[] = [];
  const seen = new Map<string, number>();
  const visit = (pid: number) => {
    const argv = commandLine(pid);
    if (argv.length > 0) {
      const base = componentName(argv);
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      out.push({ pid, name: n === 1 ? base : `${base} #${n}` });
    }
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return out;
}
