/**
 * HPACK's static Huffman code (RFC 7541 section 5.2 and Appendix B), decoding only: the store's
 * client port reads one header value of some requests (see authority-rewriter.ts).
 *
 * The code is canonical: codes of equal length are consecutive in symbol order, and each
 * length's first code follows the previous length's last. So the code lengths alone define it,
 * and the codes are derived from them once, below.
 */

/** Bit length of each symbol's code, symbols 0-255 and EOS (256), from RFC 7541 Appendix B. */
// prettier-ignore
const CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, //   0-15
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, //  16-31
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, //          32-47
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, //               48-63
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, //                 64-79
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, //              80-95
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, //                 96-111
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, //             112-127
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128-143
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144-159
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160-175
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176-191
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192-207
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208-223
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224-239
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240-255
  30, //                                                              EOS
];
/** The end-of-string symbol, which must never appear decoded. */
const EOS = 256;
/** Longest code, in bits. */
const MAX_CODE_BITS = 30;
/** RFC 7541 5.2: padding is at most 7 bits, all ones. */
const MAX_PADDING_BITS = 7;

/** One map per code length: code → symbol. */
const DECODE: ReadonlyMap<number, number>[] = (() => {
  const byLength: Map<number, number>[] = Array.from({ length: MAX_CODE_BITS + 1 }, () => new Map());
  const symbols = CODE_LENGTHS.map((bits, symbol) => ({ bits, symbol })).sort((a, b) => a.bits - b.bits || a.symbol - b.symbol);
  let code = 0;
  let bits = symbols[0].bits;
  for (const s of symbols) {
    code *= 2 ** (s.bits - bits);
    bits = s.bits;
    byLength[bits].set(code, s.symbol);
    code++;
  }
  return byLength;
})();

/** A malformed Huffman string (RFC 7541 5.2): an EOS, a code past the end, or bad padding. */
export class HuffmanError extends Error {
  constructor(reason: string) {
    super(`HPACK Huffman string: ${reason}`);
    this.name = 'HuffmanError';
  }
}

/** Decodes an HPACK Huffman-coded string; throws HuffmanError when it is malformed. */
export function huffmanDecode(input: Uint8Array): Buffer {
  const out: number[] = [];
  let code = 0;
  let bits = 0;
  for (const byte of input) {
    for (let i = 7; i >= 0; i--) {
      code = code * 2 + ((byte >> i) & 1);
      bits++;
      const symbol = DECODE[bits]?.get(code);
      if (symbol === EOS) throw new HuffmanError('EOS symbol inside the string');
      if (symbol !== undefined) {
        out.push(symbol);
        code = 0;
        bits = 0;
      } else if (bits >= MAX_CODE_BITS) {
        throw new HuffmanError('no code matches');
      }
    }
  }
  if (bits > MAX_PADDING_BITS || code !== 2 ** bits - 1) throw new HuffmanError('padding is not a prefix of EOS');
  return Buffer.from(out);
}
