import * as wire from '../../gen/bosun/raft';
import { Entry, EntryType, Message, MessageType, Snapshot } from '../raft/types';

/**
 * Conversion between the raft core's in-memory types and the peer wire format
 * (proto/bosun/raft.proto). The only place that knows both shapes.
 */

export function entryToWire(e: Entry): wire.Entry {
  return { term: e.term, index: e.index, type: e.type, data: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength) };
}

export function entryFromWire(e: wire.Entry): Entry {
  const type = e.type === EntryType.ConfChange ? EntryType.ConfChange : EntryType.Normal;
  return { term: e.term, index: e.index, type, data: e.data };
}

export function snapshotToWire(s: Snapshot): wire.Snapshot {
  return {
    metadata: {
      index: s.metadata.index,
      term: s.metadata.term,
      confState: { voters: [...s.metadata.confState.voters], learners: [...s.metadata.confState.learners] },
    },
    data: Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength),
  };
}

export function snapshotFromWire(s: wire.Snapshot): Snapshot {
  const md = s.metadata;
  return {
    metadata: {
      index: md?.index ?? 0,
      term: md?.term ?? 0,
      confState: { voters: md?.confState?.voters ?? [], learners: md?.confState?.learners ?? [] },
    },
    data: s.data,
  };
}

export function messageToWire(m: Message): wire.Message {
  return {
    type: m.type,
    to: m.to,
    from: m.from,
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    entries: m.entries.map(entryToWire),
    commit: m.commit,
    snapshot: m.snapshot ? snapshotToWire(m.snapshot) : undefined,
    reject: m.reject,
    rejectHint: m.rejectHint,
    context: Buffer.from(m.context.buffer, m.context.byteOffset, m.context.byteLength),
  };
}

/** Decodes a peer message; returns undefined for a message type this member does not know. */
export function messageFromWire(m: wire.Message): Message | undefined {
  if (!(m.type in MessageType)) return undefined;
  return {
    type: m.type as MessageType,
    to: m.to,
    from: m.from,
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    entries: m.entries.map(entryFromWire),
    commit: m.commit,
    snapshot: m.snapshot ? snapshotFromWire(m.snapshot) : undefined,
    reject: m.reject,
    rejectHint: m.rejectHint,
    context: m.context,
  };
}
