/**
 * One DNS message in, one out: decodes a query, answers it from the resolver (or forwards it
 * upstream), and encodes the response with the protocol's rules.
 *
 * Contract:
 * - Never throws. Fewer than 12 bytes, or a message that is itself a response, is dropped
 *   (undefined: nothing to answer); a header followed by garbage is FORMERR; an opcode other
 *   than QUERY is NOTIMP; not exactly one question, or a class other than IN, is FORMERR /
 *   REFUSED; zone transfers are REFUSED.
 * - Names under the zone are answered authoritatively (AA). Names outside go to the upstream
 *   when one is configured (SERVFAIL when it does not answer), else REFUSED.
 * - Answers from the index are cached by the query's bytes after the id (and the transport)
 *   until the index changes (its generation moves), so a repeated question costs a map lookup
 *   and an id patch; forwarded answers are not cached. The cache holds at most
 *   RESPONSE_CACHE_ENTRIES answers and starts over when full.
 * - A UDP response larger than the client's limit — 512 bytes, or its EDNS payload size — is
 *   sent truncated (TC set, no records), so the client retries over TCP. A query carrying EDNS
 *   gets an OPT record back with our payload size.
 */
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer, Packet } from 'dns-packet';
import type { DnsObserver } from './dns-metrics';
import type { DnsTransport, Upstream } from './dns-forwarder';
import type { DnsIndex } from './dns-index';
import { resolve, type ResolverConfig } from './resolver';

/** Size of the DNS header, bytes. */
export const DNS_HEADER_BYTES = 12;
/** Largest UDP response without EDNS (RFC 1035). */
export const CLASSIC_UDP_LIMIT_BYTES = 512;
/** The UDP payload size we advertise in EDNS (the DNS flag day's 1232). */
export const EDNS_UDP_PAYLOAD_BYTES = 1232;
/** Response codes by number (RFC 1035, RFC 2136). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type RcodeName = keyof typeof RCODE;
/** Most answers the responder keeps (each a few hundred bytes at most over UDP). */
export const RESPONSE_CACHE_ENTRIES = 10_000;
const QR = 1 << 15;
const OPCODE_SHIFT = 11;
const OPCODE_MASK = 0xf;
const OPCODE_QUERY = 0;

/** What the responder needs. */
export interface ResponderOptions {
  readonly index: DnsIndex;
  readonly config: ResolverConfig;
  /** Where names outside the zone go; none = REFUSED. */
  readonly upstream?: Upstream;
  readonly observer?: DnsObserver;
  /** Monotonic seconds (default: process.hrtime). */
  readonly now?: () => number;
}

/** A cached answer: its bytes (id to be patched) and what the metrics say about it. */
interface CachedAnswer {
  readonly bytes: Buffer;
  readonly type: string;
  readonly zone: string;
  readonly rcode: RcodeName;
}

/** Answers DNS messages. See the file comment. */
export class DnsResponder {
  private readonly now: () => number;
  private readonly zoneLabel: string;
  private readonly cache = new Map<string, CachedAnswer>();
  private cacheGeneration = -1;

  constructor(private readonly options: ResponderOptions) {
    this.now = options.now ?? (() => Number(process.hrtime.bigint()) / 1e9);
    this.zoneLabel = `${options.config.zone}.`;
  }

  /** The response to `query` received over `transport`, or undefined to drop it. */
  async respond(query: Buffer, transport: DnsTransport): Promise<Buffer | undefined> {
    const started = this.now();
    if (query.length < DNS_HEADER_BYTES) return undefined;
    const id = query.readUInt16BE(0);
    const flags = query.readUInt16BE(2);
    if (flags & QR) return undefined;
    const index = this.options.index;
    if (this.cacheGeneration !== index.generation) {
      this.cache.clear();
      this.cacheGeneration = index.generation;
    }
    const cacheKey = transport + query.toString('latin1', 2);
    const cached = this.cache.get(cacheKey);
    if (cached) {
      this.options.observer?.observe({ proto: transport, type: cached.type, zone: cached.zone, rcode: cached.rcode, seconds: this.now() - started });
      const reply = Buffer.from(cached.bytes);
      reply.writeUInt16BE(id, 0);
      return reply;
    }
    const rd = flags & dnsPacket.RECURSION_DESIRED;
    const report = (type: string, zone: string, rcode: RcodeName) => this.options.observer?.observe({ proto: transport, type, zone, rcode, seconds: this.now() - started });
    const opcode = (flags >> OPCODE_SHIFT) & OPCODE_MASK;
    if (opcode !== OPCODE_QUERY) {
      report('other', '.', 'NOTIMP');
      return headerOnly(id, (flags & (OPCODE_MASK << OPCODE_SHIFT)) | rd, RCODE.NOTIMP);
    }
    let packet: DecodedPacket;
    try {
      packet = dnsPacket.decode(query);
    } catch {
      report('other', '.', 'FORMERR');
      return headerOnly(id, rd, RCODE.FORMERR);
    }
    const questions = packet.questions ?? [];
    const question = questions[0];
    if (questions.length !== 1 || !question || typeof question.name !== 'string') {
      report('other', '.', 'FORMERR');
      return headerOnly(id, rd, RCODE.FORMERR);
    }
    const clientOpt = (packet.additionals ?? []).find((a): a is OptAnswer => a.type === 'OPT');
    const udpLimit = clientOpt ? Math.max(CLASSIC_UDP_LIMIT_BYTES, Math.min(clientOpt.udpPayloadSize || 0, EDNS_UDP_PAYLOAD_BYTES)) : CLASSIC_UDP_LIMIT_BYTES;
    const opt: Answer[] = clientOpt ? [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_PAYLOAD_BYTES, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [];
    const reply = (rcode: RcodeName, zone: string, body: Pick<Packet, 'answers' | 'authorities' | 'additionals'>, aa: boolean, cacheable = true) => {
      report(String(question.type), zone, rcode);
      const ra = this.options.upstream ? dnsPacket.RECURSION_AVAILABLE : 0;
      const base: Packet = { id, type: 'response', flags: rd | ra | (aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | RCODE[rcode], questions: [question] };
      const bytes = encodeWithin({ ...base, answers: body.answers ?? [], authorities: body.authorities ?? [], additionals: [...(body.additionals ?? []), ...opt] }, transport === 'udp' ? udpLimit : Infinity, opt);
      if (!cacheable) return bytes;
      if (this.cache.size >= RESPONSE_CACHE_ENTRIES) this.cache.clear();
      this.cache.set(cacheKey, { bytes, type: String(question.type), zone, rcode });
      return bytes;
    };
    if ((question.class ?? 'IN') !== 'IN') return reply('REFUSED', '.', {}, false);
    if (question.type === 'AXFR' || question.type === 'IXFR') return reply('REFUSED', this.zoneLabel, {}, false);
    const result = resolve(index, { name: question.name, type: question.type }, this.options.config);
    if (result.kind === 'answer') return reply(result.rcode, this.zoneLabel, result, true);
    if (!this.options.upstream) return reply('REFUSED', '.', {}, false);
    const forwarded = await this.options.upstream.forward(query, transport);
    if (!forwarded) return reply('SERVFAIL', '.', {}, false, false);
    report(String(question.type), '.', rcodeName(forwarded));
    return forwarded;
  }
}

/**
 * Encodes `packet`; when it exceeds `limit` bytes, the truncated form instead (TC set, the
 * question and OPT only). A packet dns-packet cannot encode (a name with an over-long label
 * echoed back) becomes a header-only FORMERR.
 */
function encodeWithin(packet: Packet, limit: number, opt: Answer[]): Buffer {
  try {
    const full = dnsPacket.encode(packet);
    if (full.length <= limit) return full;
    return dnsPacket.encode({ ...packet, flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: opt });
  } catch {
    return headerOnly(packet.id ?? 0, 0, RCODE.FORMERR);
  }
}

/** A response with no sections: the id, QR, `flags` and the rcode. */
function headerOnly(id: number, flags: number, rcode: number): Buffer {
  const buf = Buffer.alloc(DNS_HEADER_BYTES);
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(QR | flags | rcode, 2);
  return buf;
}

/** The rcode name of an encoded response (for metrics). */
function rcodeName(response: Buffer): RcodeName {
  const code = response.length >= 4 ? response.readUInt16BE(2) & 0xf : RCODE.SERVFAIL;
  return (Object.keys(RCODE) as RcodeName[]).find((k) => RCODE[k] === code) ?? 'SERVFAIL';
}
