import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Summarizes V8 .cpuprofile files (as written by cpu-profile-hook): self time per function and
 * per source file, and inclusive time of the project's own functions, so a profile can be read
 * without DevTools.
 *
 *   node dist/bench/store/profile-summary.js FILE.cpuprofile [...] [--top N]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Shortens a file URL to a path relative to the project (or the node_modules package). */
function shortUrl(url: string): string {
  if (!url) return '(native)';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm + 'node_modules/'.length);
  const dist = u.indexOf('/dist/');
  if (dist >= 0) return u.slice(dist + '/dist/'.length);
  return u.startsWith('node:') ? u : path.basename(u);
}

function frameName(f: CallFrame): string {
  return `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
}

/** Self and inclusive time (ms) per function and self time per file over the given profiles. */
export function summarize(profiles: CpuProfile[]): {
  totalMs: number;
  selfByFunction: Map<string, number>;
  selfByFile: Map<string, number>;
  inclusiveByFunction: Map<string, number>;
} {
  const selfByFunction = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const inclusiveByFunction = new Map<string, number>();
  let totalMs = 0;
  const add = (m: Map<string, number>, k: string, v: number): void => {
    m.set(k, (m.get(k) ?? 0) + v);
  };
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const selfUs = new Map<number, number>();
    for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
    for (const [id, us] of selfUs) {
      const node = byId.get(id);
      if (!node) continue;
      const ms = us / 1000;
      const fn = node.callFrame.functionName;
      if (fn === '(idle)' || fn === '(program)' || fn === '(garbage collector)') {
        add(selfByFunction, fn, ms);
        add(selfByFile, fn, ms);
        if (fn !== '(idle)') totalMs += ms;
        continue;
      }
      totalMs += ms;
      add(selfByFunction, frameName(node.callFrame), ms);
      add(selfByFile, shortUrl(node.callFrame.url), ms);
      // inclusive: every distinct frame on the stack
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const n = byId.get(cur);
        if (!n) break;
        const name = frameName(n.callFrame);
        if (seen.has(name)) continue;
        seen.add(name);
        add(inclusiveByFunction, name, ms);
      }
    }
  }
  return { totalMs, selfByFunction, selfByFile, inclusiveByFunction };
}

function top(m: Map<string, number>, n: number, total: number, filter: (k: string) => boolean = () => true): string {
  return [...m.entries()]
    .filter(([k]) => filter(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${v.toFixed(0).padStart(8)} ms ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  let n = 25;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') n = Number(args[++i]);
    else files.push(args[i]);
  }
  if (files.length === 0) {
    console.error('usage: node dist/bench/store/profile-summary.js FILE.cpuprofile [...] [--top N]');
    process.exit(2);
  }
  const profiles = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as CpuProfile);
  const s = summarize(profiles);
  const idle = s.selfByFunction.get('(idle)') ?? 0;
  console.log(`${files.length} profile(s): ${s.totalMs.toFixed(0)} ms on CPU, ${idle.toFixed(0)} ms idle`);
  console.log(`\nself time by file:\n${top(s.selfByFile, n, s.totalMs, (k) => k !== '(idle)')}`);
  console.log(`\nself time by function:\n${top(s.selfByFunction, n, s.totalMs, (k) => k !== '(idle)')}`);
  const own = (k: string): boolean => /\s(store|lib|cli|gen)\//.test(k);
  console.log(`\ninclusive time of project functions:\n${top(s.inclusiveByFunction, n, s.totalMs, own)}`);
}

if (require.main === module) main();
