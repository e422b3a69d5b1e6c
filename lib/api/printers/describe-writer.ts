/**
 * The text builder behind describe output, shaped like kubectl's PrefixWriter over a tabwriter
 * (minwidth 0, padding 2): `write(level, text)` indents by two spaces per level, tabs separate
 * aligned cells, and `flush()` ends the current alignment region (as kubectl does before the
 * Events table).
 */
import { DESCRIBE_TABWRITER, tabwrite } from './tabwriter';
import { sortedKeys, strMap } from './fields';

/** Indentation levels, two spaces each. */
export const LEVEL_0 = 0;
export const LEVEL_1 = 1;
export const LEVEL_2 = 2;
export const LEVEL_3 = 3;

/** Longest annotation (key + value) printed on one line before it is wrapped and shortened. */
const MAX_ANNOTATION_LEN = 140;
/** Annotation never shown by describe (it repeats the whole object). */
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Replaces terminal control characters (other than tab and newline) so output is safe to print. */
function escapeControl(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Accumulates describe text; {@link toString} aligns each flushed region. */
export class DescribeWriter {
  private readonly regions: string[] = [];
  private current = '';

  /** Writes `text` indented by `level`; text may contain tabs (cells) and newlines. */
  write(level: number, text: string): void {
    this.current += '  '.repeat(level) + escapeControl(text);
  }

  /** Writes `text` and a newline with no indentation. */
  line(text: string): void {
    this.current += `${escapeControl(text)}\n`;
  }

  /** Ends the current alignment region. */
  flush(): void {
    this.regions.push(this.current);
    this.current = '';
  }

  /** The aligned text. */
  toString(): string {
    return [...this.regions, this.current].map((r) => tabwrite(r, DESCRIBE_TABWRITER)).join('');
  }

  /** `Title:\tk=v` with one label per line, sorted; `<none>` when empty. */
  labels(title: string, labels: unknown, initialIndent = '', innerIndent = '\t'): void {
    const m = strMap(labels);
    this.write(LEVEL_0, `${initialIndent}${title}:${innerIndent}`);
    const keys = sortedKeys(m);
    if (keys.length === 0) {
      this.line('<none>');
      return;
    }
    keys.forEach((k, i) => {
      if (i !== 0) this.write(LEVEL_0, `${initialIndent}${innerIndent}`);
      this.write(LEVEL_0, `${k}=${m[k]}\n`);
    });
  }

  /** `Title:\tk: v` one annotation per line, long or multi-line values wrapped; `<none>` when empty. */
  annotations(title: string, annotations: unknown): void {
    const m = strMap(annotations);
    this.write(LEVEL_0, `${title}:\t`);
    const keys = sortedKeys(m).filter((k) => k !== LAST_APPLIED_ANNOTATION);
    if (keys.length === 0) {
      this.line('<none>');
      return;
    }
    keys.forEach((k, i) => {
      if (i !== 0) this.write(LEVEL_0, '\t');
      const value = m[k].replace(/\n$/, '');
      if (value.length + k.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
        this.write(LEVEL_0, `${k}:\n`);
        for (const s of value.split('\n')) {
          const cut = s.length > MAX_ANNOTATION_LEN - 2 ? `${s.slice(0, MAX_ANNOTATION_LEN - 2)}...` : s;
          this.write(LEVEL_0, `\t  ${cut}\n`);
        }
      } else {
        this.write(LEVEL_0, `${k}: ${value}\n`);
      }
    });
  }
}
