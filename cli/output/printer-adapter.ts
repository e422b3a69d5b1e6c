/**
 * The one place the CLI reaches the printers library (lib/api/printers): tables for `get`,
 * the empty-listing message, `describe` text and the tabwriter. Everything the commands print
 * as a table goes through here.
 */
import type { KubeObject } from '../../lib/api/object';
import { describe } from '../../lib/api/printers/describe';
import { toTable } from '../../lib/api/printers/table';
import { noResourcesMessage, renderTable, kindPrefix as printersKindPrefix } from '../../lib/api/printers/text';
import { GET_TABWRITER, tabwrite } from '../../lib/api/printers/tabwriter';

/** How `get` prints a table. */
export interface TableTextOptions {
  kind: string;
  group: string;
  now: Date;
  /** `-o wide`. */
  wide?: boolean;
  /** `-A`: a NAMESPACE column. */
  withNamespace?: boolean;
  /** `--show-labels`. */
  showLabels?: boolean;
  noHeaders?: boolean;
  /** Prefix names with `kind.group/` (several kinds printed together). */
  withKindPrefix?: boolean;
}

/** The `kubectl get` text of `objects` (all of one kind); '' when there are none. */
export function tableText(objects: readonly KubeObject[], opts: TableTextOptions): string {
  const table = toTable(objects, { now: opts.now, kind: opts.kind, includeObject: 'Metadata' });
  return renderTable(table, {
    wide: opts.wide,
    withNamespace: opts.withNamespace,
    showLabels: opts.showLabels,
    noHeaders: opts.noHeaders,
    kindPrefix: opts.withKindPrefix ? printersKindPrefix(opts.kind, opts.group) : undefined,
  });
}

/** `No resources found in X namespace.` (namespaced) or `No resources found`. */
export function noResourcesText(namespace?: string): string {
  return noResourcesMessage(namespace);
}

/** `kubectl describe` text of `obj` with its events. */
export function describeText(obj: KubeObject, events: readonly KubeObject[] | undefined, now: Date): string {
  return describe(obj, { now, events });
}

/** Aligns tab-separated lines as `kubectl get` does (3 spaces between columns). */
export function alignColumns(lines: readonly string[]): string {
  if (lines.length === 0) return '';
  return tabwrite(lines.join('\n') + '\n', GET_TABWRITER);
}
