import * as v8 from 'node:v8';

/**
 * Memory settings for Bosun's long-running processes, measured on a store member after a burst
 * of puts from 1,000 clients (bench/store's load).
 *
 * Two things held the difference:
 * - glibc malloc. Buffers (request frames, raft entries, LevelDB blocks) come from malloc. Once
 *   a large block has been freed, glibc raises its mmap threshold up to 32 MB, so later large
 *   buffers land in the main heap too, where freed memory below a live block can never be
 *   returned; and every thread (libuv, LevelDB) gets its own 64 MB arena. A fixed threshold,
 *   a trim threshold and two arenas keep freed memory returnable.
 * - V8's heap growth. After each full collection V8 lets the old generation grow to up to four
 *   times what survived before it collects again, and it keeps pages it has committed. A
 *   process that holds its data in the JS heap (the store's key index and values) grows with
 *   its data; a smaller factor keeps the heap nearer what is live.
 */

/** glibc's malloc tunables (read at process start, so they go in a child's environment). */
export const LEAN_MALLOC_ENV: Readonly<Record<string, string>> = Object.freeze({
  // Allocations of 64 KiB and more are mapped on their own and unmapped when freed.
  MALLOC_MMAP_THRESHOLD_: '65536',
  // Free memory above 1 MiB at the top of the heap goes back to the system.
  MALLOC_TRIM_THRESHOLD_: '1048576',
  MALLOC_ARENA_MAX: '2',
});

/** `env` with {@link LEAN_MALLOC_ENV} added; a tunable `env` already sets is left as it is. */
export function withLeanMalloc(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [name, value] of Object.entries(LEAN_MALLOC_ENV)) if (out[name] === undefined) out[name] = value;
  return out;
}

/**
 * How much V8 lets the old generation grow past what survived a full collection, in percent.
 * Measured on the store's 25,000-key load (bench/store --quick): 30% took a fifth more CPU per
 * put, as a heap growing with its data was marked again every few megabytes; 100% (at most
 * twice what is live) cost no measurable CPU and kept most of the saving.
 */
export const HEAP_GROWING_PERCENT = 100;

/**
 * Caps V8's old-generation growth factor at 1 + {@link HEAP_GROWING_PERCENT}/100 for this
 * process. V8 reads the flag at each collection, so setting it early at run time is enough.
 */
export function limitHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  if (!Number.isInteger(percent) || percent <= 0) throw new RangeError(`heap growing percent must be a positive integer, got ${percent}`);
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
