/**
 * The `meta.k8s.io/v1` Table shapes and the per-kind printer contract the column files implement.
 */
import type { KubeObject } from '../object';

/** One column of a Table (`metav1.TableColumnDefinition`). */
export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type: `string`, `integer`, `number`, `boolean`, `date`. */
  type: string;
  /** OpenAPI format hint; `name` marks the column holding the object name. */
  format: string;
  description: string;
  /** 0 shows by default; 1 only with `-o wide`. */
  priority: number;
}

/** A cell value as JSON carries it. `null` prints as `<none>`. */
export type TableCell = string | number | boolean | null;

/** `metav1.PartialObjectMetadata`, the default row object. */
export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: KubeObject['metadata'];
}

/** One row; `cells` has one entry per column definition (wide columns included). */
export interface TableRow {
  cells: TableCell[];
  object?: KubeObject | PartialObjectMetadata;
}

/** `meta.k8s.io/v1` Table. */
export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** What a printer may need besides the object: the injected clock. */
export interface PrintContext {
  now: Date;
}

/**
 * How one kind is printed: its column definitions and the cells of one object (all columns,
 * wide ones included, in definition order; the client drops priority-1 columns unless wide).
 */
export interface KindPrinter {
  /** API group; '' for core. */
  group: string;
  kind: string;
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, ctx: PrintContext): TableCell[];
}

/** Builds a column definition. */
export function column(name: string, type: string, description: string, priority = 0, format = ''): TableColumnDefinition {
  return { name, type, format, description, priority };
}

/** Description of metadata.name used by every NAME column. */
export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated.';

/** Description of metadata.creationTimestamp used by every AGE column. */
export const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.';

/** The NAME column. */
export const NAME_COLUMN = column('Name', 'string', NAME_DESCRIPTION, 0, 'name');
/** The AGE column. */
export const AGE_COLUMN = column('Age', 'string', AGE_DESCRIPTION);
/** Wide CONTAINERS column of workload kinds. */
export const CONTAINERS_COLUMN = column('Containers', 'string', 'Names of each container in the template.', 1);
/** Wide IMAGES column of workload kinds. */
export const IMAGES_COLUMN = column('Images', 'string', 'Images referenced by each container in the template.', 1);
