/**
 * Bytes of encoded watch events each front door keeps for reuse by other watch streams: the
 * watchers of one change encode it within moments, so a window of a few hundred events of a
 * few KB serves a whole fan-out.
 */
export const WATCH_ENCODING_MEMO_BYTES = 2 * 1024 * 1024;
/** Objects whose encodings a memo keeps at most (each keeps its object alive too). */
export const WATCH_ENCODING_MEMO_OBJECTS = 1024;

/** An encoding with a size (Buffer, Uint8Array). */
export interface Sized {
  readonly byteLength: number;
}

/**
 * Wire encodings of the watch cache's shared objects, made once and reused by every watch
 * stream that sends the same object in the same form (Kubernetes' cachingObject): a change
 * watched by N clients costs one serialization and one buffer, not N. Only frozen objects
 * are memoized — those are the cache's, shared and never changed; any other object is
 * encoded on every call.
 *
 * Bounded: once the encodings held exceed `capacityBytes`, or more than `capacityObjects`
 * objects have encodings, the oldest objects' encodings are dropped. Watchers send an event within moments of each other, so a small window serves a
 * whole fan-out; nothing is kept for the objects' whole life in the cache.
 */
export class EncodingMemo<V extends Sized> {
  /** Insertion order is age: the first entries are dropped first. */
  private readonly entries = new Map<object, Map<string, V>>();
  private bytes = 0;

  constructor(
    private readonly capacityBytes: number,
    private readonly capacityObjects: number,
  ) {}

  /** Bytes of encodings held. */
  get size(): number {
    return this.bytes;
  }

  /** The encoding of `object` in `form` ("MODIFIED", "ERROR:json", …): memoized when the object is frozen. */
  get(object: object, form: string, encode: () => V): V {
    if (!Object.isFrozen(object)) return encode();
    let forms = this.entries.get(object);
    const known = forms?.get(form);
    if (known !== undefined) return known;
    const encoded = encode();
    if (!forms) {
      forms = new Map();
      this.entries.set(object, forms);
    }
    forms.set(form, encoded);
    this.bytes += encoded.byteLength;
    this.evict();
    return encoded;
  }

  private evict(): void {
    for (const [object, forms] of this.entries) {
      if (this.bytes <= this.capacityBytes && this.entries.size <= this.capacityObjects) return;
      for (const encoded of forms.values()) this.bytes -= encoded.byteLength;
      this.entries.delete(object);
    }
  }
}
