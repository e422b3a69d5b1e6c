import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Summarizes V8 .cpuprofile files (as written by cpu-profile-hook): self time per function and
 * per source file, and inclusive time of the project's own functions, so a profile can be read
 * without DevTools.
 *
 *   node dist/bench/store/profile-summary.js FILE.cpuprofile [...] [--top N]
 *   node dist/bench/store/profile-summary.js FILE.cpuprofile [...] --callers NAME [--depth N]
 *   node dist/bench/store/profile-summary.js FILE.cpuprofile [...] --longest NAME [--top N]
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

/** True for samples taken inside the profiler hook itself (stopping and restarting the profiler). */
function underHook(id: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): boolean {
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    if (byId.get(cur)?.callFrame.url.includes('cpu-profile-hook')) return true;
  }
  return false;
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
      if (!node || underHook(id, byId, parent)) continue;
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

/** Self time (ms) of functions whose name contains `needle`, by their call stack (up to `depth` project-or-library frames). */
export function callers(profiles: CpuProfile[], needle: string, depth: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const selfUs = new Map<number, number>();
    for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
    for (const [id, us] of selfUs) {
      const node = byId.get(id);
      if (!node || !frameName(node.callFrame).includes(needle)) continue;
      const stack: string[] = [];
      for (let cur = parent.get(id); cur !== undefined && stack.length < depth; cur = parent.get(cur)) {
        const n = byId.get(cur);
        if (!n || n.callFrame.functionName === '(root)') break;
        stack.push(frameName(n.callFrame));
      }
      const key = stack.join(' < ') || '(top)';
      out.set(key, (out.get(key) ?? 0) + us / 1000);
    }
  }
  return out;
}

/**
 * The longest stretches (ms) of consecutive samples whose stack contains a frame matching
 * `needle`: how long one call kept the thread busy (e.g. an event-loop block).
 */
export function longestStretches(profiles: CpuProfile[], needle: string, count: number): number[] {
  const stretches: number[] = [];
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const memo = new Map<number, boolean>();
    const matches = (id: number): boolean => {
      let r = memo.get(id);
      if (r === undefined) {
        const n = byId.get(id);
        r = !!n && (frameName(n.callFrame).includes(needle) || (parent.has(id) && matches(parent.get(id) as number)));
        memo.set(id, r);
      }
      return r;
    };
    let run = 0;
    for (let i = 0; i < p.samples.length; i++) {
      const dt = (p.timeDeltas[i + 1] ?? 0) / 1000; // time until the next sample
      if (matches(p.samples[i])) run += dt;
      else if (run > 0) {
        stretches.push(run);
        run = 0;
      }
    }
    if (run > 0) stretches.push(run);
  }
  return stretches.sort((a, b) => b - a).slice(0, count);
}

/** The area a file belongs to, for a coarse breakdown. */
export function areaOf(file: string): string {
  if (file.startsWith('(')) return file;
  if (file.startsWith('@grpc/')) return 'grpc-js';
  if (file.startsWith('node:internal/http2')) return 'node http2';
  if (file.startsWith('node:')) return 'node other (events, streams, buffer, timers)';
  if (file.startsWith('@bufbuild/') || file.startsWith('gen/')) return 'protobuf (bufbuild + gen/)';
  if (/^(abstract-level|classic-level|level|leveldown|module-error)\//.test(file)) return 'leveldb (abstract/classic-level)';
  if (file.startsWith('pino') || file.startsWith('sonic-boom') || file.startsWith('thread-stream')) return 'pino';
  const m = /^(store\/\w+|lib|cli|bench)\//.exec(file);
  if (m) return m[1];
  return `other: ${file.split('/')[0]}`;
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
  let callersOf: string | undefined;
  let longestOf: string | undefined;
  let depth = 4;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') n = Number(args[++i]);
    else if (args[i] === '--callers') callersOf = args[++i];
    else if (args[i] === '--depth') depth = Number(args[++i]);
    else if (args[i] === '--longest') longestOf = args[++i];
    else files.push(args[i]);
  }
  if (files.length === 0) {
    console.error('usage: node dist/bench/store/profile-summary.js FILE.cpuprofile [...] [--top N] [--callers NAME [--depth N]] [--longest NAME]');
    process.exit(2);
  }
  const profiles = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as CpuProfile);
  const s = summarize(profiles);
  if (longestOf !== undefined) {
    const l = longestStretches(profiles, longestOf, n);
    console.log(`longest stretches inside "${longestOf}" (ms): ${l.map((x) => x.toFixed(0)).join(', ') || 'none'}`);
    return;
  }
  if (callersOf !== undefined) {
    console.log(`self time of "${callersOf}" by caller stack (${depth} frames):\n${top(callers(profiles, callersOf, depth), n, s.totalMs)}`);
    return;
  }
  const idle = s.selfByFunction.get('(idle)') ?? 0;
  console.log(`${files.length} profile(s): ${s.totalMs.toFixed(0)} ms on CPU, ${idle.toFixed(0)} ms idle`);
  const byArea = new Map<string, number>();
  for (const [file, ms] of s.selfByFile) if (file !== '(idle)') byArea.set(areaOf(file), (byArea.get(areaOf(file)) ?? 0) + ms);
  console.log(`\nself time by area:\n${top(byArea, n, s.totalMs)}`);
  console.log(`\nself time by file:\n${top(s.selfByFile, n, s.totalMs, (k) => k !== '(idle)')}`);
  console.log(`\nself time by function:\n${top(s.selfByFunction, n, s.totalMs, (k) => k !== '(idle)')}`);
  const own = (k: string): boolean => /\s(store|lib|cli|gen)\//.test(k);
  console.log(`\ninclusive time of project functions:\n${top(s.inclusiveByFunction, n, s.totalMs, own)}`);
}

if (require.main === module) main();
