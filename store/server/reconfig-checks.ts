import { ErrNotEnoughStartedMembers, ErrUnhealthy } from '../errors';
import type { Membership } from './membership';
import type { PeerTransport } from './peer-transport';

/**
 * etcd's strict reconfiguration checks (--strict-reconfig-check, on by default): a membership
 * change is refused when it could leave the cluster without a working quorum.
 */

/** How long every voter must have been connected before a membership change (etcd's HealthInterval). */
export const RECONFIG_HEALTHY_MS = 5_000;

/** What the checks need to know about the connections to the other members. */
export type PeerHealth = Pick<PeerTransport, 'connectedFullySince' | 'connectedSince' | 'isActive'>;

/** Started members: those that published their client URLs. */
function isStarted(membership: Membership, id: number): boolean {
  return (membership.get(id)?.clientUrls.length ?? 0) > 0;
}

/**
 * Check for an addition: a new voter needs enough started voters for the larger quorum, and
 * every voter must have been talking to this member for RECONFIG_HEALTHY_MS (so a change is
 * never made on a shaky quorum). Throws ErrNotEnoughStartedMembers or ErrUnhealthy.
 */
export function checkCanAdd(membership: Membership, peers: PeerHealth, isLearner: boolean, nowMs: number): void {
  const voters = membership.voters();
  if (!isLearner) {
    const started = voters.filter((id) => isStarted(membership, id)).length;
    const size = voters.length + 1;
    if (!(started === 1 && size === 2) && started < Math.floor(size / 2) + 1) throw new ErrNotEnoughStartedMembers();
  }
  if (!peers.connectedFullySince(voters, nowMs - RECONFIG_HEALTHY_MS)) throw new ErrUnhealthy();
}

/**
 * Check for removing member `id` (asked on member `selfId`): the voters left must still form a
 * quorum of active members. Throws ErrNotEnoughStartedMembers.
 */
export function checkCanRemove(membership: Membership, peers: PeerHealth, selfId: number, id: number, nowMs: number): void {
  if (membership.get(id)?.isLearner) return;
  const voters = membership.voters();
  const startedOthers = voters.filter((v) => v !== id && isStarted(membership, v)).length;
  if (startedOthers < Math.floor((voters.length - 1) / 2) + 1) throw new ErrNotEnoughStartedMembers();
  // A member that is down is not part of the active quorum: removing it is safe.
  if (id !== selfId && !peers.isActive(id)) return;
  const active = peers.connectedSince(voters, nowMs - RECONFIG_HEALTHY_MS);
  if (active - 1 < 1 + Math.floor((voters.length - 1) / 2)) throw new ErrNotEnoughStartedMembers();
}
