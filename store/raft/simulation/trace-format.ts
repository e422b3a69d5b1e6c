/**
 * One-line descriptions of messages, membership changes and durable logs for trace events.
 */

import { ConfChange, ConfChangeType, Message, MessageType, NONE } from '../types';
import { MemoryStorage } from '../memory-storage';
import { InFlight } from './network';

/** A one-line description of a message for traces. */
export function describeMessage(m: Message): string {
  let s = `${MessageType[m.type]} ${m.from}->${m.to} t${m.term}`;
  switch (m.type) {
    case MessageType.App:
      s += ` prev=${m.index}/t${m.logTerm} commit=${m.commit}`;
      if (m.entries.length > 0) s += ` ents=${m.entries[0].index}..${m.entries[m.entries.length - 1].index}`;
      break;
    case MessageType.AppResp:
      s += ` index=${m.index}${m.reject ? ` REJECT hint=${m.rejectHint}` : ''}`;
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      s += ` last=${m.index}/t${m.logTerm}`;
      break;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      s += m.reject ? ' REJECT' : ' GRANT';
      break;
    case MessageType.Heartbeat:
      s += ` commit=${m.commit}`;
      break;
    case MessageType.Snap:
      if (m.snapshot) s += ` snap=${m.snapshot.metadata.index}/t${m.snapshot.metadata.term}`;
      break;
    case MessageType.Prop:
      s += ` n=${m.entries.length}`;
      break;
    case MessageType.ReadIndex:
    case MessageType.ReadIndexResp:
      s += ` index=${m.index}`;
      break;
    default:
      break;
  }
  return s;
}

/** A message on the wire: like {@link describeMessage}, plus the relaying member if not `from`. */
export function describeInFlight(f: InFlight): string {
  const s = describeMessage(f.msg);
  return f.sender === f.msg.from ? s : `${s} (via ${f.sender})`;
}

/** `AddNode 4` etc. */
export function describeConfChange(cc: ConfChange): string {
  return `${ConfChangeType[cc.type]} ${cc.nodeId}`;
}

/** Bounds and hard state of a durable log, e.g. `log 4..9 term=3 vote=2 commit=7`. */
export function describeStorage(s: MemoryStorage): string {
  const hs = s.initialState().hardState;
  return `log ${s.firstIndex()}..${s.lastIndex()} term=${hs.term} vote=${hs.vote === NONE ? '-' : hs.vote} commit=${hs.commit}`;
}
