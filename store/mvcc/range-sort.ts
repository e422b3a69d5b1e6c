import { KeyValue } from '../../gen/etcd/kv';
import { RangeRequest_SortOrder, RangeRequest_SortTarget } from '../../gen/etcd/rpc';

/**
 * etcd's range sorting, in place: results arrive in key order; ASCEND on KEY is a no-op, NONE on
 * a non-key target sorts ascending. Stable, so ties stay in key order.
 */
export function sortKvs(kvs: KeyValue[], order: RangeRequest_SortOrder, target: RangeRequest_SortTarget): void {
  if (target !== RangeRequest_SortTarget.KEY && order === RangeRequest_SortOrder.NONE) order = RangeRequest_SortOrder.ASCEND;
  else if (target === RangeRequest_SortTarget.KEY && order === RangeRequest_SortOrder.ASCEND) order = RangeRequest_SortOrder.NONE;
  if (order !== RangeRequest_SortOrder.ASCEND && order !== RangeRequest_SortOrder.DESCEND) return;
  let cmp: (a: KeyValue, b: KeyValue) => number;
  switch (target) {
    case RangeRequest_SortTarget.KEY:
      cmp = (a, b) => Buffer.compare(a.key, b.key);
      break;
    case RangeRequest_SortTarget.VERSION:
      cmp = (a, b) => a.version - b.version;
      break;
    case RangeRequest_SortTarget.CREATE:
      cmp = (a, b) => a.createRevision - b.createRevision;
      break;
    case RangeRequest_SortTarget.MOD:
      cmp = (a, b) => a.modRevision - b.modRevision;
      break;
    case RangeRequest_SortTarget.VALUE:
      cmp = (a, b) => Buffer.compare(a.value, b.value);
      break;
    case RangeRequest_SortTarget.UNRECOGNIZED:
      return;
  }
  if (order === RangeRequest_SortOrder.DESCEND) kvs.sort((a, b) => cmp(b, a));
  else kvs.sort(cmp);
}
