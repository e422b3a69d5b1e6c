/**
 * Kubernetes resource quantities ("100m", "1.5", "2Gi", "1e3"): parsed into an exact count of
 * nano-units (values finer than 1n are rounded up, away from zero, as Kubernetes does) and
 * printed in Kubernetes' canonical form, which keeps the kind of suffix the input used.
 */

import { BadRequestError, FieldError } from './errors';
import { PathLike } from './field-path';
import { invalid } from './validation';

export { IntOrString, resolveIntOrPercent, validateIntOrPercent } from './int-or-string';

/** Which family of suffixes a quantity prints with. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** The pattern quantities must match (Kubernetes' own, quoted in its error message). */
export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
/** Error message for a string that is not a quantity. */
export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${QUANTITY_PATTERN}'`;
/** Error message for a quantity with an unknown suffix. */
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

const QUANTITY_RE = new RegExp(QUANTITY_PATTERN);
const NUMBER_RE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/;
/** Largest decimal exponent accepted, to keep arithmetic bounded. */
const MAX_EXPONENT = 1000;

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const NANO = 1_000_000_000n;

function pow10(e: number): bigint {
  return 10n ** BigInt(e);
}

/** n / d rounded away from zero. */
function divRoundUp(n: bigint, d: bigint): bigint {
  const q = n / d;
  if (q * d === n) return q;
  return n < 0n ? q - 1n : q + 1n;
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** An exact resource quantity. Immutable; `toJSON()` gives the canonical string. */
export class Quantity {
  private constructor(
    /** The value in nano-units (1 = 1n, 1_000_000_000 = 1). */
    readonly nanos: bigint,
    readonly format: QuantityFormat,
  ) {}

  /** A quantity of `nanos` nano-units printed in `format`. */
  static fromNanos(nanos: bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(nanos, format);
  }

  /** A quantity of `milli` thousandths (`Quantity.fromMilli(1500).toString()` is "1500m"). */
  static fromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(milli) * 1_000_000n, format);
  }

  /** A quantity of a whole number of units. */
  static fromInt(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value) * NANO, format);
  }

  /** Parses a quantity string; throws BadRequestError with Kubernetes' message if it is not one. */
  static parse(input: string): Quantity {
    const s = input.trim();
    if (s === '' || !QUANTITY_RE.test(s)) throw new BadRequestError(QUANTITY_FORMAT_ERROR);
    const m = /^([+-]?[0-9.]+)(.*)$/.exec(s) as RegExpExecArray;
    const num = NUMBER_RE.exec(m[1]);
    if (!num || (num[2] === '' && (num[3] ?? '') === '')) throw new BadRequestError(QUANTITY_FORMAT_ERROR);
    const negative = num[1] === '-';
    const frac = num[3] ?? '';
    const digits = BigInt(`${num[2]}${frac}` || '0');
    const mantissa = negative ? -digits : digits;
    const { format, exp10, pow1024 } = parseSuffix(m[2]);
    // value = mantissa * 10^(exp10 - frac.length) * 1024^pow1024; nanos = value * 10^9.
    const scaled = mantissa * 1024n ** BigInt(pow1024);
    const shift = exp10 - frac.length + 9;
    let nanos: bigint;
    if (shift >= 0) nanos = scaled * pow10(shift);
    else if (-shift > String(abs(scaled)).length + 1) nanos = scaled === 0n ? 0n : scaled < 0n ? -1n : 1n;
    else nanos = divRoundUp(scaled, pow10(-shift));
    return new Quantity(nanos, format);
  }

  /** `-1`, `0` or `1` as this quantity is less than, equal to or greater than `other`. */
  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  /** Whether both quantities denote the same amount, whatever their formats. */
  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** The sum, printed in this quantity's format. */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.format);
  }

  /** The difference, printed in this quantity's format. */
  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.format);
  }

  /** Whether the amount is zero. */
  isZero(): boolean {
    return this.nanos === 0n;
  }

  /** The value in whole units, rounded up away from zero ("100m" → 1). */
  value(): number {
    return Number(divRoundUp(this.nanos, NANO));
  }

  /** The value in thousandths, rounded up away from zero ("1.5" → 1500). */
  milliValue(): number {
    return Number(divRoundUp(this.nanos, 1_000_000n));
  }

  /** Canonical form: "1.5" → "1500m", "2048Mi" → "2Gi", "1000" → "1k", "1.5Ki" → "1536". */
  toString(): string {
    if (this.nanos === 0n) return '0';
    let format = this.format;
    if (format === 'BinarySI') {
      const whole = this.nanos % NANO === 0n;
      if (!whole || abs(this.nanos) < 1024n * NANO) format = 'DecimalSI';
      else {
        let n = this.nanos / NANO;
        let power = 0;
        while (power < BINARY_BY_POWER.length - 1 && n % 1024n === 0n) {
          n /= 1024n;
          power++;
        }
        return `${n}${BINARY_BY_POWER[power]}`;
      }
    }
    let n = this.nanos;
    let exp = -9;
    const maxExp = format === 'DecimalSI' ? 18 : Number.POSITIVE_INFINITY;
    while (exp < maxExp && n % 1000n === 0n) {
      n /= 1000n;
      exp += 3;
    }
    if (format === 'DecimalSI') return `${n}${DECIMAL_BY_EXPONENT.get(exp)}`;
    return exp === 0 ? `${n}` : `${n}e${exp}`;
  }

  /** Serializes as the canonical string, as Kubernetes' JSON does. */
  toJSON(): string {
    return this.toString();
  }
}

function parseSuffix(suffix: string): { format: QuantityFormat; exp10: number; pow1024: number } {
  if (suffix in DECIMAL_SUFFIXES) return { format: 'DecimalSI', exp10: DECIMAL_SUFFIXES[suffix], pow1024: 0 };
  if (suffix in BINARY_SUFFIXES) return { format: 'BinarySI', exp10: 0, pow1024: BINARY_SUFFIXES[suffix] };
  const e = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
  if (e) {
    const exp10 = Number(e[1]);
    if (Math.abs(exp10) > MAX_EXPONENT) throw new BadRequestError(`quantity exponent out of range: ${suffix}`);
    return { format: 'DecimalExponent', exp10, pow1024: 0 };
  }
  throw new BadRequestError(QUANTITY_SUFFIX_ERROR);
}

/** Parses a quantity string (see `Quantity.parse`). */
export function parseQuantity(input: string): Quantity {
  return Quantity.parse(input);
}

/** Compares two quantity strings by amount; throws BadRequestError if either is malformed. */
export function compareQuantities(a: string | Quantity, b: string | Quantity): -1 | 0 | 1 {
  const qa = typeof a === 'string' ? Quantity.parse(a) : a;
  const qb = typeof b === 'string' ? Quantity.parse(b) : b;
  return qa.cmp(qb);
}

/** Whether `s` is a well-formed quantity. */
export function isQuantity(s: string): boolean {
  try {
    Quantity.parse(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a quantity field (a string, or a number as JSON manifests may carry), optionally
 * requiring it to be non-negative ("must be greater than or equal to 0").
 */
export function validateQuantity(value: unknown, path: PathLike, opts: { nonNegative?: boolean } = {}): FieldError[] {
  if (typeof value !== 'string' && typeof value !== 'number') return [invalid(path, value, QUANTITY_FORMAT_ERROR)];
  let q: Quantity;
  try {
    q = Quantity.parse(String(value));
  } catch (e) {
    return [invalid(path, value, (e as Error).message)];
  }
  if (opts.nonNegative && q.nanos < 0n) return [invalid(path, value, 'must be greater than or equal to 0')];
  return [];
}
