import { MemberRecord } from '../../gen/bosun/store';
import { ErrMemberExist, ErrMemberNotFound, ErrPeerURLExist } from '../errors';
import { ConfChange, ConfChangeType } from '../raft/types';
import { InitialMember, memberIdFor } from './member-config';

/**
 * The replicated membership of the store cluster: who the members are, their names and URLs.
 * It changes only by applying committed raft entries (conf changes, member attributes), so
 * every member holds the same view at the same applied index.
 */
export class Membership {
  private readonly members = new Map<number, MemberRecord>();
  /** Ids of removed members: they may never come back (like etcd). */
  private readonly removed = new Set<number>();

  /** The membership of a brand-new cluster, from --initial-cluster. */
  static initial(initialCluster: InitialMember[], clusterToken: string): Membership {
    const m = new Membership();
    for (const im of initialCluster) {
      const id = memberIdFor(im.peerUrls, clusterToken);
      m.members.set(id, { id, name: im.name, peerUrls: [...im.peerUrls], clientUrls: [], isLearner: false });
    }
    return m;
  }

  /** Rebuilds a membership from a snapshot's records. */
  static restore(records: MemberRecord[], removed: number[]): Membership {
    const m = new Membership();
    for (const r of records) m.members.set(r.id, { ...r, peerUrls: [...r.peerUrls], clientUrls: [...r.clientUrls] });
    for (const id of removed) m.removed.add(id);
    return m;
  }

  list(): MemberRecord[] {
    return [...this.members.values()].sort((a, b) => a.id - b.id);
  }

  removedIds(): number[] {
    return [...this.removed].sort((a, b) => a - b);
  }

  get(id: number): MemberRecord | undefined {
    return this.members.get(id);
  }

  has(id: number): boolean {
    return this.members.has(id);
  }

  isRemoved(id: number): boolean {
    return this.removed.has(id);
  }

  /** Voting member ids (learners excluded). */
  voters(): number[] {
    return this.list()
      .filter((m) => !m.isLearner)
      .map((m) => m.id);
  }

  learners(): number[] {
    return this.list()
      .filter((m) => m.isLearner)
      .map((m) => m.id);
  }

  /** Checks a proposed addition before it is proposed (the same checks run again at apply). */
  checkAdd(member: MemberRecord): void {
    if (this.members.has(member.id) || this.removed.has(member.id)) throw new ErrMemberExist();
    for (const m of this.members.values()) {
      if (m.peerUrls.some((u) => member.peerUrls.includes(u))) throw new ErrPeerURLExist();
    }
  }

  /** Checks a proposed removal or promotion. */
  checkExists(id: number): MemberRecord {
    const m = this.members.get(id);
    if (!m) throw new ErrMemberNotFound();
    return m;
  }

  /**
   * Applies a committed membership change. Returns false when the change is no longer valid
   * at this point of the log (it is then a no-op on every member alike).
   */
  applyConfChange(cc: ConfChange, record: MemberRecord | undefined): boolean {
    switch (cc.type) {
      case ConfChangeType.AddNode:
      case ConfChangeType.AddLearnerNode: {
        if (this.removed.has(cc.nodeId)) return false;
        const existing = this.members.get(cc.nodeId);
        const isLearner = cc.type === ConfChangeType.AddLearnerNode;
        if (existing) {
          // Promotion of a learner, or a repeated add: keep the record, update the role.
          existing.isLearner = isLearner;
          return true;
        }
        if (!record) return false;
        this.members.set(cc.nodeId, { ...record, id: cc.nodeId, isLearner, clientUrls: [...record.clientUrls] });
        return true;
      }
      case ConfChangeType.RemoveNode:
        if (!this.members.has(cc.nodeId)) return false;
        this.members.delete(cc.nodeId);
        this.removed.add(cc.nodeId);
        return true;
    }
  }

  /** Checks new peer URLs for a member before they are proposed. */
  checkUpdate(id: number, peerUrls: string[]): void {
    this.checkExists(id);
    for (const m of this.members.values()) {
      if (m.id !== id && m.peerUrls.some((u) => peerUrls.includes(u))) throw new ErrPeerURLExist();
    }
  }

  /** Applies a committed peer-URL change (a no-op for an unknown member). */
  setPeerUrls(id: number, peerUrls: string[]): void {
    const m = this.members.get(id);
    if (m) m.peerUrls = [...peerUrls];
  }

  /** Records a member's name and client URLs once it serves clients. */
  setAttributes(id: number, name: string, clientUrls: string[]): void {
    const m = this.members.get(id);
    if (!m) return;
    m.name = name;
    m.clientUrls = [...clientUrls];
  }
}
