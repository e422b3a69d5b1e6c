/**
 * Table columns of core/v1 ResourceQuota and LimitRange, as Kubernetes' printResourceQuota and
 * printLimitRange define them: a quota shows `name: used/hard` per resource of status.hard,
 * sorted, `limits.*` in LIMIT and the rest in REQUEST; a LimitRange shows when it was created.
 */
import type { KubeObject } from '../object';
import { translateTimestampSince } from './age';
import { rec, str, strMap } from './fields';
import { AGE_COLUMN, AGE_DESCRIPTION, NAME_COLUMN, column, type KindPrinter } from './types';

/** The REQUEST and LIMIT cells of a quota: `resource: used/hard` pairs joined by ", ". */
export function quotaCells(obj: KubeObject): { request: string; limit: string } {
  const status = rec(obj.status);
  const hard = strMap(status.hard);
  const used = strMap(status.used);
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const pieces = name.split('.');
    (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(`${name}: ${used[name] ?? '0'}/${hard[name]}`);
  }
  return { request: request.join(', '), limit: limit.join(', ') };
}

const resourceQuota: KindPrinter = {
  group: '',
  kind: 'ResourceQuota',
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  cells(obj, ctx) {
    const { request, limit } = quotaCells(obj);
    return [str(obj.metadata?.name), translateTimestampSince(obj.metadata?.creationTimestamp, ctx.now), request, limit];
  },
};

const limitRange: KindPrinter = {
  group: '',
  kind: 'LimitRange',
  columns: [NAME_COLUMN, column('Created At', 'date', AGE_DESCRIPTION)],
  cells(obj) {
    const created = obj.metadata?.creationTimestamp;
    const at = created ? new Date(created) : undefined;
    return [str(obj.metadata?.name), at && !Number.isNaN(at.getTime()) ? at.toISOString().replace(/\.\d{3}Z$/, 'Z') : ''];
  },
};

/** Printers of the quota kinds. */
export const QUOTA_PRINTERS: readonly KindPrinter[] = [resourceQuota, limitRange];
