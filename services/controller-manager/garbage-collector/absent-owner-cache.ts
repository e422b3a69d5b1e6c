/**
 * Owners the garbage collector verified absent with a live lookup, by exact coordinates
 * (group, kind, namespace, name, uid): when a thousand pods of one deleted ReplicaSet are
 * collected, the owner is looked up once, not a thousand times. Bounded: the least recently
 * used entry goes when {@link ABSENT_OWNER_CACHE_SIZE} is reached (Kubernetes keeps 500).
 * A uid is never reused, so an entry never turns wrong; only its coordinates are trusted.
 */
import { identityKey, type ObjectIdentity } from './identity';

/** Entries kept (kube-controller-manager's absentOwnerCache size). */
export const ABSENT_OWNER_CACHE_SIZE = 500;

/** A bounded least-recently-used set of absent owner coordinates. */
export class AbsentOwnerCache {
  private readonly keys = new Map<string, true>();

  constructor(private readonly capacity: number = ABSENT_OWNER_CACHE_SIZE) {}

  /** Records `id` as verified absent. */
  add(id: ObjectIdentity): void {
    const key = identityKey(id);
    this.keys.delete(key);
    this.keys.set(key, true);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.keys().next().value as string);
  }

  /** Whether `id` was verified absent (and marks it recently used). */
  has(id: ObjectIdentity): boolean {
    const key = identityKey(id);
    if (!this.keys.has(key)) return false;
    this.keys.delete(key);
    this.keys.set(key, true);
    return true;
  }

  get size(): number {
    return this.keys.size;
  }
}
