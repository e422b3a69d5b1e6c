import { ResponseHeader } from '../../gen/etcd/rpc';

/** Where the header facts come from: this member, and its state machine's revision. */
export interface HeaderSource {
  readonly id: number;
  readonly clusterId: number;
  term(): number;
  currentRevision(): number;
}

/**
 * Fills the etcd ResponseHeader of every response: cluster and member id, raft term, and the
 * revision (kept when the state machine already set it at apply time).
 */
export class ResponseHeaders {
  constructor(private readonly source: HeaderSource) {}

  header(revision?: number): ResponseHeader {
    return {
      clusterId: this.source.clusterId,
      memberId: this.source.id,
      revision: revision && revision > 0 ? revision : this.source.currentRevision(),
      raftTerm: this.source.term(),
    };
  }

  /** A header with no revision: what etcd sends for membership calls and compacted-watch cancels. */
  headerWithoutRevision(): ResponseHeader {
    return { ...this.header(), revision: 0 };
  }

  /** Like fill(), for responses that carry no revision (membership calls). */
  fillWithoutRevision<T>(res: T & { header?: unknown }): T {
    return { ...res, header: this.headerWithoutRevision() };
  }

  fill<T>(res: T & { header?: unknown }): T {
    const given = (res.header as ResponseHeader | undefined)?.revision;
    return { ...res, header: this.header(given) };
  }
}
