/**
 * Reading manifests as `kubectl apply -f` / `delete -f` do: a file, a directory (its .yaml,
 * .yml and .json files, sorted, not recursive) or `-` (stdin); YAML multi-document streams
 * and JSON; `kind: List` (and `<Kind>List`) expanded to their items. Problems are collected
 * with the file (and line) they come from so the caller can go on with the good objects.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { KubeObject } from '../lib/api/object';
import { CliError, readAll, type CliEnv } from './cli-env';

/** File extensions read from a directory. */
export const MANIFEST_EXTENSIONS: readonly string[] = ['.json', '.yaml', '.yml'];

/** One object of a manifest and where it came from (the path as given, or `STDIN`). */
export interface Manifest {
  object: KubeObject;
  source: string;
}

/** The objects read, and the problems met (in order). */
export interface ManifestResult {
  manifests: Manifest[];
  errors: CliError[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Short text of a yaml library error without its position suffix and code excerpt. */
function yamlErrorText(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '').trim();
}

/** Adds `value` (one document) to `out`, expanding lists. */
function collect(value: unknown, source: string, out: ManifestResult): void {
  if (value === null || value === undefined) return;
  if (!isRecord(value)) {
    out.errors.push(new CliError(`error: error validating "${source}": error validating data: invalid object: expected a mapping, got ${Array.isArray(value) ? 'a list' : typeof value}`));
    return;
  }
  const kind = value.kind;
  if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(value.items)) {
    for (const item of value.items) collect(item, source, out);
    return;
  }
  const missing: string[] = [];
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') missing.push('apiVersion not set');
  if (typeof kind !== 'string' || kind === '') missing.push('kind not set');
  if (missing.length > 0) {
    out.errors.push(new CliError(`error: error validating "${source}": error validating data: [${missing.join(', ')}]`));
    return;
  }
  if (value.metadata !== undefined && !isRecord(value.metadata)) {
    out.errors.push(new CliError(`error: error validating "${source}": error validating data: metadata must be a mapping`));
    return;
  }
  const object = { ...value, metadata: isRecord(value.metadata) ? value.metadata : {} } as KubeObject;
  out.manifests.push({ object, source });
}

/**
 * Parses the text of one manifest source. Documents before a syntax error are kept; the
 * error names the source and line like kubectl's.
 */
export function parseManifests(text: string, source: string, into?: ManifestResult): ManifestResult {
  const out = into ?? { manifests: [], errors: [] };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line ?? lineCounter.linePos(err.pos[0]).line;
      out.errors.push(new CliError(`error: error parsing ${source}: error converting YAML to JSON: yaml: line ${line}: ${yamlErrorText(err.message)}`));
      return out;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      out.errors.push(new CliError(`error: error parsing ${source}: ${e instanceof Error ? e.message : String(e)}`));
      return out;
    }
    collect(value, source, out);
  }
  return out;
}

/** The files a `-f` argument stands for: the file itself, or a directory's manifest files sorted. */
export function manifestFiles(arg: string, cwd: string): string[] {
  const full = path.resolve(cwd, arg);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    throw new CliError(`error: the path "${arg}" does not exist`);
  }
  if (!stat.isDirectory()) return [arg];
  const names = fs
    .readdirSync(full)
    .filter((n) => MANIFEST_EXTENSIONS.includes(path.extname(n).toLowerCase()))
    .filter((n) => fs.statSync(path.join(full, n)).isFile())
    .sort();
  if (names.length === 0) throw new CliError(`error: error reading [${arg}]: recognized file extensions are [${MANIFEST_EXTENSIONS.join(' ')}]`);
  return names.map((n) => path.join(arg, n));
}

/** Reads every `-f` argument in order (`-` reads stdin once). Missing paths are errors too. */
export async function readManifests(args: readonly string[], env: Pick<CliEnv, 'cwd' | 'stdin'>): Promise<ManifestResult> {
  const out: ManifestResult = { manifests: [], errors: [] };
  let stdinRead = false;
  for (const arg of args) {
    if (arg === '-') {
      if (stdinRead) continue;
      stdinRead = true;
      if (!env.stdin) {
        out.errors.push(new CliError('error: no stdin to read manifests from'));
        continue;
      }
      parseManifests(await readAll(env.stdin), 'STDIN', out);
      continue;
    }
    let files: string[];
    try {
      files = manifestFiles(arg, env.cwd);
    } catch (err) {
      out.errors.push(err instanceof CliError ? err : new CliError(`error: ${String(err)}`));
      continue;
    }
    for (const f of files) {
      let text: string;
      try {
        text = fs.readFileSync(path.resolve(env.cwd, f), 'utf8');
      } catch (err) {
        out.errors.push(new CliError(`error: error reading ${f}: ${(err as Error).message}`));
        continue;
      }
      parseManifests(text, f, out);
    }
  }
  return out;
}
