/**
 * `-o json` and `-o yaml` as kubectl prints unstructured objects: keys sorted at every level
 * (Go marshals maps sorted), JSON indented by 4 spaces, YAML with unindented sequences and no
 * line folding.
 */
import { stringify as stringifyYaml } from 'yaml';

/** A deep copy of `v` with object keys sorted. */
export function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeysDeep(x);
    }
    return out;
  }
  return v;
}

/** kubectl's `-o json` text (with a final newline). */
export function toJsonText(v: unknown): string {
  return `${JSON.stringify(sortKeysDeep(v), null, 4)}\n`;
}

/** kubectl's `-o yaml` text (with a final newline). */
export function toYamlText(v: unknown): string {
  return stringifyYaml(sortKeysDeep(v), { indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false });
}

/** Output formats of get. */
export type OutputFormat = '' | 'wide' | 'yaml' | 'json' | 'name';

const FORMATS: readonly OutputFormat[] = ['json', 'name', 'wide', 'yaml'];

/** Checks `-o`; kubectl's error for anything else. */
export function parseOutputFormat(o: string | undefined, allowed: readonly OutputFormat[] = FORMATS): OutputFormat {
  if (o === undefined || o === '') return '';
  if ((allowed as readonly string[]).includes(o)) return o as OutputFormat;
  throw new Error(`unable to match a printer suitable for the output format "${o}", allowed formats are: ${allowed.join(',')}`);
}
