import { KeyValue } from '../../gen/etcd/kv';
import { Compare, Compare_CompareResult, Compare_CompareTarget } from '../../gen/etcd/rpc';

const EMPTY = Buffer.alloc(0);

/**
 * etcd's compareKV: compares one key-value (undefined = absent key, which compares as zero
 * revisions/version/lease and an empty value) with a txn Compare. An unrecognized result is true.
 */
export function compareKv(c: Compare, kv: KeyValue | undefined): boolean {
  let result: number;
  switch (c.target) {
    case Compare_CompareTarget.VALUE:
      result = Buffer.compare(kv?.value ?? EMPTY, c.value ?? EMPTY);
      break;
    case Compare_CompareTarget.CREATE:
      result = Math.sign((kv?.createRevision ?? 0) - (c.createRevision ?? 0));
      break;
    case Compare_CompareTarget.MOD:
      result = Math.sign((kv?.modRevision ?? 0) - (c.modRevision ?? 0));
      break;
    case Compare_CompareTarget.VERSION:
      result = Math.sign((kv?.version ?? 0) - (c.version ?? 0));
      break;
    case Compare_CompareTarget.LEASE:
      result = Math.sign((kv?.lease ?? 0) - (c.lease ?? 0));
      break;
    case Compare_CompareTarget.UNRECOGNIZED:
      result = 0;
      break;
  }
  switch (c.result) {
    case Compare_CompareResult.EQUAL:
      return result === 0;
    case Compare_CompareResult.NOT_EQUAL:
      return result !== 0;
    case Compare_CompareResult.GREATER:
      return result > 0;
    case Compare_CompareResult.LESS:
      return result < 0;
    case Compare_CompareResult.UNRECOGNIZED:
      return true;
  }
}
