import { EntryType, isLocalMessage, Message, MessageType, NONE } from './types';

function isIndex(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isMessageType(t: unknown): t is MessageType {
  return typeof t === 'number' && MessageType[t] !== undefined;
}

/**
 * Why a message received from a peer must be dropped, or undefined if it is well-formed.
 *
 * Checks shape only (types, ranges, contiguity), never protocol state: raft itself handles
 * stale and unexpected messages. Local-only types (Hup, Beat, ...) are refused because peers
 * must not inject them; the member loop uses RaftNode's methods instead.
 */
export function invalidPeerMessageReason(m: Message, self: number): string | undefined {
  if (m === null || typeof m !== 'object') return 'not an object';
  if (!isMessageType(m.type)) return 'unknown message type';
  if (isLocalMessage(m.type)) return 'local-only message type from a peer';
  for (const f of ['to', 'from', 'term', 'logTerm', 'index', 'commit', 'rejectHint'] as const) {
    if (!isIndex(m[f])) return `invalid ${f}`;
  }
  if (m.to !== self) return 'addressed to another member';
  if (m.from === NONE || m.from === self) return 'invalid sender';
  if (typeof m.reject !== 'boolean') return 'invalid reject';
  if (!(m.context instanceof Uint8Array)) return 'invalid context';
  if (!Array.isArray(m.entries)) return 'invalid entries';
  // Forwarded proposals and read requests travel without a term; everything else has one.
  const termless = m.type === MessageType.Prop || m.type === MessageType.ReadIndex;
  if (!termless && m.term === 0) return 'missing term';
  for (let i = 0; i < m.entries.length; i++) {
    const e = m.entries[i];
    if (e === null || typeof e !== 'object') return 'invalid entry';
    if (!isIndex(e.term) || !isIndex(e.index)) return 'invalid entry term or index';
    if (e.type !== EntryType.Normal && e.type !== EntryType.ConfChange) return 'invalid entry type';
    if (!(e.data instanceof Uint8Array)) return 'invalid entry data';
  }
  switch (m.type) {
    case MessageType.App: {
      let prevTerm = m.logTerm;
      for (let i = 0; i < m.entries.length; i++) {
        const e = m.entries[i];
        if (e.index !== m.index + 1 + i) return 'non-contiguous entries';
        if (e.term < prevTerm || e.term > m.term || e.term === 0) return 'entry terms out of order';
        prevTerm = e.term;
      }
      return undefined;
    }
    case MessageType.Prop:
      return m.entries.length === 0 ? 'empty proposal' : undefined;
    case MessageType.ReadIndex:
    case MessageType.ReadIndexResp:
      return m.entries.length !== 1 ? 'read index needs exactly one context entry' : undefined;
    case MessageType.Snap: {
      const s = m.snapshot;
      if (s === undefined || s === null || typeof s !== 'object') return 'missing snapshot';
      const md = s.metadata;
      if (md === undefined || md === null || !isIndex(md.index) || !isIndex(md.term) || md.index === 0) return 'invalid snapshot metadata';
      if (md.term > m.term) return 'snapshot term beyond message term';
      const cs = md.confState;
      if (cs === undefined || cs === null || !Array.isArray(cs.voters) || !Array.isArray(cs.learners)) return 'invalid snapshot conf state';
      if (![...cs.voters, ...cs.learners].every((id) => isIndex(id) && id !== NONE)) return 'invalid snapshot member id';
      if (!(s.data instanceof Uint8Array)) return 'invalid snapshot data';
      return undefined;
    }
    default:
      return undefined;
  }
}
