/** Public surface of the raft consensus core. */
export * from './types';
export * from './storage';
export * from './errors';
export { MemoryStorage, PersistedRaftState, emptyHardState, emptySnapshot } from './memory-storage';
export { encodeConfChange, decodeConfChange, ConfChangeDecodeError, CONF_CHANGE_FORMAT_VERSION } from './conf-change';
export { RaftNode } from './raft-node';
export { RaftConfig, RaftLogger, ProposeResult, NOOP_RAFT_LOGGER } from './raft-config';
export { ENTRY_OVERHEAD_BYTES, entrySizeBytes } from './entry-size';
