/** The store client's public surface. */
export * from './store-client';
export * from './client-errors';
export type { KeepAliveHandle } from './lease-keeper';
export type { WatchHandle, WatchListener, WatchOptions } from './watch-stream';
export type { ClientLogger } from './logger';
export { storeChannelCredentials, type StoreClientTls } from './endpoint';
export { INITIAL_BACKOFF_MS, MAX_BACKOFF_MS } from './backoff';
export {
  compareCreateRevision,
  compareLease,
  compareModRevision,
  compareValue,
  compareVersion,
  opDelete,
  opGet,
  opPut,
  prefixRangeEnd,
  type Bytes,
  type CasResult,
  type CompareOp,
  type RangeOptions,
  type SortOptions,
} from './txn-builder';
