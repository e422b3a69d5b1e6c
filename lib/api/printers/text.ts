/**
 * Renders a Table as `kubectl get` prints it: upper-case headers, columns padded with three
 * spaces by a Go-compatible tabwriter, priority-1 columns only when wide.
 */
import { rec, formatLabels, str } from './fields';
import { GET_TABWRITER, tabwrite } from './tabwriter';
import type { Table, TableCell } from './types';

/** Options of {@link renderTable}, named after kubectl's flags. */
export interface RenderOptions {
  /** `-o wide`: include priority-1 columns. */
  wide?: boolean;
  /** `-A` / `--all-namespaces`: a NAMESPACE first column, read from each row's object. */
  withNamespace?: boolean;
  /** `--show-labels`: a LABELS last column, read from each row's object. */
  showLabels?: boolean;
  /** `--no-headers`. */
  noHeaders?: boolean;
  /**
   * Prefix for the name column when several kinds are printed together (`kubectl get all`), as
   * {@link kindPrefix} builds it: `pod` gives `pod/web-1`, `deployment.apps` gives
   * `deployment.apps/web`.
   */
  kindPrefix?: string;
}

/** `kind.group` in lower case as kubectl prefixes names: `pod`, `deployment.apps`. */
export function kindPrefix(kind: string, group = ''): string {
  const k = kind.toLowerCase();
  return group ? `${k}.${group}` : k;
}

/** A cell as kubectl prints it: `<none>` for null, numbers and booleans as Go formats them. */
export function formatCell(cell: TableCell | undefined): string {
  if (cell === null || cell === undefined) return '<none>';
  if (typeof cell === 'string') return cell.replace(/[\t\n]/g, ' ');
  if (typeof cell === 'number' || typeof cell === 'boolean') return String(cell);
  return JSON.stringify(cell);
}

/** The rendered lines of `table` (header first unless suppressed), tab-separated, before alignment. */
function rawLines(table: Table, opts: RenderOptions): string[] {
  const defs = Array.isArray(table.columnDefinitions) ? table.columnDefinitions : [];
  const shown: number[] = [];
  defs.forEach((c, i) => {
    if (opts.wide || !c.priority) shown.push(i);
  });
  const nameIndex = defs.findIndex((c) => c.format === 'name');
  const lines: string[] = [];
  if (!opts.noHeaders) {
    const header = shown.map((i) => str(defs[i].name).toUpperCase());
    if (opts.withNamespace) header.unshift('NAMESPACE');
    if (opts.showLabels) header.push('LABELS');
    lines.push(header.join('\t'));
  }
  for (const row of Array.isArray(table.rows) ? table.rows : []) {
    const cells = Array.isArray(row?.cells) ? row.cells : [];
    const meta = rec(rec(row?.object).metadata);
    const out = shown.map((i) => {
      const text = formatCell(cells[i]);
      return opts.kindPrefix && i === nameIndex ? `${opts.kindPrefix}/${text}` : text;
    });
    if (opts.withNamespace) out.unshift(str(meta.namespace));
    if (opts.showLabels) out.push(formatLabels(meta.labels));
    lines.push(out.join('\t'));
  }
  return lines;
}

/**
 * The text of `table` as kubectl prints it, each line ending in a newline. An empty table gives
 * `''`: print {@link noResourcesMessage} (to stderr) instead.
 */
export function renderTable(table: Table, opts: RenderOptions = {}): string {
  if (!Array.isArray(table.rows) || table.rows.length === 0) return '';
  return tabwrite(rawLines(table, opts).join('\n') + '\n', GET_TABWRITER);
}

/**
 * Several tables printed one after another, as `kubectl get all` does: each kind's table with
 * names prefixed by `kind.group/`, separated by blank lines; empty tables are skipped.
 */
export function renderTables(tables: readonly { table: Table; kind: string; group?: string }[], opts: Omit<RenderOptions, 'kindPrefix'> = {}): string {
  return tables
    .filter((t) => Array.isArray(t.table.rows) && t.table.rows.length > 0)
    .map((t) => renderTable(t.table, { ...opts, kindPrefix: kindPrefix(t.kind, t.group) }))
    .join('\n');
}

/**
 * kubectl's message for an empty listing: `No resources found in default namespace.` for a
 * namespaced listing, `No resources found` across all namespaces or for cluster-scoped kinds.
 */
export function noResourcesMessage(namespace?: string): string {
  return namespace ? `No resources found in ${namespace} namespace.` : 'No resources found';
}
