/** A benchmark's numeric flag (`--name N`): `fallback` when absent, an Error naming the flag when not a number of the wanted kind. */
export function flagNumber(flag: string, fallback: number, opts: { readonly integer?: boolean; readonly min?: number } = {}): number {
  const i = process.argv.indexOf(flag);
  if (i < 0) return fallback;
  const raw = process.argv[i + 1];
  const v = Number(raw);
  const min = opts.min ?? 0;
  if (raw === undefined || !Number.isFinite(v) || v < min || (opts.integer && !Number.isInteger(v))) {
    throw new Error(`${flag}: "${raw ?? ''}" is not ${opts.integer ? 'an integer' : 'a number'} of at least ${min}`);
  }
  return v;
}
