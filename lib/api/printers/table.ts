/**
 * Builds `meta.k8s.io/v1` Tables from API objects: the server-side half of `kubectl get`. Every
 * row carries all cells (wide columns included); the client drops priority-1 columns unless it
 * was asked for `-o wide` (see text.ts).
 */
import type { KubeObject } from '../object';
import { APPS_PRINTERS } from './columns-apps';
import { CORE_PRINTERS } from './columns-core';
import { OTHER_PRINTERS, defaultPrinter } from './columns-other';
import { QUOTA_PRINTERS } from './columns-quota';
import type { KindPrinter, PartialObjectMetadata, Table, TableCell, TableColumnDefinition, TableRow } from './types';

export type { KindPrinter, PartialObjectMetadata, PrintContext, Table, TableCell, TableColumnDefinition, TableRow } from './types';

/** What each row's `object` holds, as the `includeObject` parameter of a Table request. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

const PRINTERS = new Map<string, KindPrinter>();
for (const p of [...CORE_PRINTERS, ...APPS_PRINTERS, ...OTHER_PRINTERS, ...QUOTA_PRINTERS]) PRINTERS.set(p.kind, p);

/** The printer of `kind`, or the NAME/AGE default for kinds without one. */
export function printerFor(kind: string, group = ''): KindPrinter {
  return PRINTERS.get(kind) ?? defaultPrinter(kind, group);
}

/** Whether `kind` has a printer of its own. */
export function hasPrinter(kind: string): boolean {
  return PRINTERS.has(kind);
}

/** Column definitions of `kind` (copies, so callers may change them). */
export function columnsFor(kind: string): TableColumnDefinition[] {
  return printerFor(kind).columns.map((c) => ({ ...c }));
}

/** Options of {@link toTable}. */
export interface ToTableOptions {
  /** The clock for AGE and other relative times. */
  now: Date;
  /** Kind of the objects; by default the first object's `kind`. */
  kind?: string;
  /** ListMeta resourceVersion to carry into the Table's metadata. */
  resourceVersion?: string;
  /** `continue` token to carry into the Table's metadata. */
  continue?: string;
  /** Row objects: `Metadata` (PartialObjectMetadata, the default), the whole `Object`, or `None`. */
  includeObject?: IncludeObject;
}

function partialMetadata(obj: KubeObject): PartialObjectMetadata {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

function safeCells(p: KindPrinter, obj: KubeObject, now: Date): TableCell[] {
  const n = p.columns.length;
  let cells: TableCell[];
  try {
    cells = p.cells(obj.metadata ? obj : { ...obj, metadata: {} }, { now });
  } catch {
    // A printer must never take the listing down; show what is certain.
    cells = [typeof obj.metadata?.name === 'string' ? obj.metadata.name : '<unknown>'];
  }
  const out = cells.slice(0, n);
  while (out.length < n) out.push(null);
  return out;
}

/** One row for `obj` printed with `p`. */
export function toRow(p: KindPrinter, obj: KubeObject, now: Date, includeObject: IncludeObject = 'Metadata'): TableRow {
  const row: TableRow = { cells: safeCells(p, obj, now) };
  if (includeObject === 'Object') row.object = obj;
  else if (includeObject === 'Metadata') row.object = partialMetadata(obj);
  return row;
}

/** A Table of `objects`, all of one kind. */
export function toTable(objects: readonly KubeObject[], opts: ToTableOptions): Table {
  const kind = opts.kind ?? (typeof objects[0]?.kind === 'string' ? objects[0].kind : '');
  const p = printerFor(kind);
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue !== undefined && opts.continue !== '') metadata.continue = opts.continue;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: p.columns.map((c) => ({ ...c })),
    rows: objects.map((o) => toRow(p, o, opts.now, opts.includeObject ?? 'Metadata')),
  };
}
