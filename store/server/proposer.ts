import { ConfChangeContext, InternalRequest, MemberRecord } from '../../gen/bosun/store';
import { ErrLeaderChanged, ErrNoLeader, ErrRequestTooLarge, ErrTimeout, ErrTooManyRequests } from '../errors';
import type { ApplyResult } from '../mvcc/applier';
import type { ConfChangeType } from '../raft/types';
import { MAX_REQUEST_BYTES, REQUEST_TIMEOUT_MS } from './member-config';
import type { RaftLoop } from './raft-loop';
import { encodeProposal } from './proposal-bytes';
import { Waiters } from './waiters';

/**
 * A member's proposals: each request gets an id unique to this member, goes into raft through
 * the loop, and waits (up to REQUEST_TIMEOUT_MS) until the apply side answers it with the
 * result of applying it — so a proposer hears back only after its command is applied here.
 */
export class Proposer {
  private readonly waiting = new Waiters<number, ApplyResult>(() => new ErrTimeout());
  /**
   * Request ids only need to be unique per proposer and per process lifetime; start from the
   * clock so a restarted member never reuses an id another member might still hold.
   */
  private nextRequestId = Date.now() * 1000;

  constructor(
    /** This member's id, carried in every proposal so only this member answers it. */
    private readonly memberId: number,
    private readonly loop: RaftLoop,
  ) {}

  /**
   * Proposes a command; resolves with its result once applied. Throws ErrRequestTooLarge,
   * ErrNoLeader, ErrTooManyRequests (the leader refuses more uncommitted data) or ErrTimeout.
   */
  async propose(req: Omit<InternalRequest, 'id' | 'proposer'>): Promise<ApplyResult> {
    const id = this.nextRequestId++;
    const data = encodeProposal(req, id, this.memberId);
    if (data.length > MAX_REQUEST_BYTES) throw new ErrRequestTooLarge();
    const result = this.loop.raft.propose(data);
    if (result === 'not-leader') throw new ErrNoLeader();
    if (result === 'dropped') throw this.loop.leaderId === 0 ? new ErrNoLeader() : new ErrTooManyRequests();
    this.loop.schedule();
    return this.waiting.wait(id, REQUEST_TIMEOUT_MS);
  }

  /**
   * Proposes a membership change carrying `member`'s record; resolves once applied, or throws
   * the error it was rejected with (ErrNoLeader, ErrLeaderChanged, ErrTimeout, FAILED_PRECONDITION).
   */
  async proposeConfChange(type: ConfChangeType, nodeId: number, member: MemberRecord | undefined): Promise<void> {
    const requestId = this.nextRequestId++;
    const context = ConfChangeContext.encode({ member, requestId, proposer: this.memberId }).finish();
    const result = this.loop.raft.proposeConfChange({ type, nodeId, context });
    if (result === 'not-leader') throw new ErrNoLeader();
    if (result === 'dropped') throw new ErrLeaderChanged();
    this.loop.schedule();
    const outcome = await this.waiting.wait(requestId, REQUEST_TIMEOUT_MS);
    if (outcome.error) throw outcome.error;
  }

  /** Answers this member's proposal `requestId` with the result of applying it (the apply side calls this). */
  answer(requestId: number, result: ApplyResult): void {
    this.waiting.resolve(requestId, result);
  }

  /** Fails every waiting proposal (the member is stopping). */
  failAll(err: Error): void {
    this.waiting.rejectAll(err);
  }
}
