/**
 * Blocks the thread for `ms` milliseconds. Only for start-up paths that are synchronous by
 * contract (reading or writing key material before anything serves), never while serving.
 */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
