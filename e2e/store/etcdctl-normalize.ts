/**
 * Normalization of etcdctl output, so the output of the same command against two clusters
 * compares equal exactly when the clusters behaved the same. Everything replaced here is a
 * value that legitimately differs between two fresh clusters; everything else (keys, values,
 * revisions, versions, counts, error texts, exit statuses) is compared as printed.
 *
 * The whole list:
 *  1. Identities registered by the caller become shared tokens: member ids (`<member-i>`, i =
 *     launcher index), the cluster id (`<cluster>`), lease ids (`<lease-n>`, n = grant order),
 *     in decimal and in hex (`%x` and etcdctl's `%16x`, whose padding is dropped); member names
 *     (`<name-i>`) and `127.0.0.1:PORT` addresses (`<client-i>`, `<peer-i>`).
 *  2. Which member answered a request (`member_id` / `MemberID` in a response header) becomes
 *     `<member>`: etcdctl picks the endpoint, so it is no behaviour of the cluster.
 *  3. Raft terms (`raft_term`, `RaftTerm`, `raftTerm`) become `<term>`.
 *  4. In endpoint status: `version`, `dbSize`, `dbSizeInUse`, `raftIndex`, `raftAppliedIndex`
 *     (the four numbers count as present even when zero, which proto3 JSON omits; the keys of
 *     a status object are sorted), and `leader` (which member won the election is random;
 *     scenarios check that all members agree on one, and that dbSize is non-zero). In hashkv: `hash` (scenarios check that members agree). Health-check
 *     durations (`took`).
 *  5. A lease's remaining TTL when positive (`remaining(59s)`, `"ttl":59`): it depends on when
 *     the command ran; scenarios check its range separately.
 *  6. etcdctl's own client-side warning log lines (zap JSON with a timestamp and a random
 *     client id) become `[etcdctl warn] <msg>: <error>`.
 *  7. Tables: padding and border lines dropped (column widths follow the id lengths).
 *  8. Member order, which follows the random member ids: in `ETCD_INITIAL_CLUSTER="…"` and
 *     in JSON `members` arrays. Likewise the order of JSON `leases` arrays and of a lease's
 *     attached keys (`attached keys([…])`, JSON `keys`): etcd lists both from Go maps.
 */

/** The numeric fields of a Maintenance.Status answer whose values the comparison ignores. */
const STATUS_NUMBERS: readonly string[] = ['dbSize', 'dbSizeInUse', 'raftIndex', 'raftAppliedIndex'];

/** Integers this long in JSON are 64-bit ids; they are quoted before parsing so none loses precision. */
const LONG_INTEGER_DIGITS = 16;

interface IdAlias {
  readonly dec: string;
  readonly hex: string;
  readonly token: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Maps one cluster's identities to tokens and normalizes etcdctl output (see the module comment). */
export class Normalizer {
  private readonly ids: IdAlias[] = [];
  private readonly addresses: { text: string; token: string }[] = [];
  private readonly names: { name: string; token: string }[] = [];

  /** Registers a 64-bit id (member, cluster, lease) under `token`; later registrations of the same id are ignored. */
  aliasId(id: bigint, token: string): void {
    if (this.ids.some((a) => a.dec === id.toString())) return;
    this.ids.push({ dec: id.toString(), hex: id.toString(16), token });
  }

  /** The token of a registered id, if any. */
  tokenOfId(id: bigint): string | undefined {
    return this.ids.find((a) => a.dec === id.toString())?.token;
  }

  /** Registers a `host:port` address (it is replaced wherever it appears, URLs included). */
  aliasAddress(hostPort: string, token: string): void {
    this.addresses.push({ text: hostPort, token });
  }

  /** Registers a member name (replaced as a whole word, and as a whole JSON string value). */
  aliasName(name: string, token: string): void {
    this.names.push({ name, token });
  }

  /** Normalizes one output stream (stdout or stderr) of etcdctl. */
  normalize(text: string): string {
    const lines = text.split('\n');
    const out: string[] = [];
    for (const raw of lines) {
      if (/^\+[-+]+\+$/.test(raw)) continue; // table border
      let line = raw;
      if (line.startsWith('|')) line = line.split('|').slice(1, -1).map((c) => c.trim()).join(' | ');
      line = this.replaceAddresses(line);
      const warn = clientWarning(line);
      if (warn !== undefined) line = warn;
      if (line.startsWith('{') || line.startsWith('[')) {
        const json = this.normalizeJsonLine(line);
        if (json !== undefined) {
          out.push(json);
          continue;
        }
      }
      out.push(this.normalizeTextLine(line));
    }
    return out.join('\n');
  }

  private replaceAddresses(line: string): string {
    for (const a of this.addresses) line = line.split(a.text).join(a.token);
    return line;
  }

  private normalizeTextLine(line: string): string {
    for (const a of this.ids) {
      line = line.replace(new RegExp(`\\b${a.dec}\\b`, 'g'), a.token);
      line = line.replace(new RegExp(`( *)\\b0*${a.hex}\\b`, 'g'), (_m, pad: string) => `${pad ? ' ' : ''}${a.token}`);
    }
    for (const n of this.names) line = line.replace(new RegExp(`\\b${escapeRegExp(n.name)}\\b`, 'g'), n.token);
    line = line
      .replace(/^("MemberID" : )<member-\d+>$/, '$1<member>')
      .replace(/^("RaftTerm" : )\d+$/, '$1<term>')
      .replace(/took = [0-9.]+[a-zµ]*s\b/g, 'took = <duration>')
      .replace(/remaining\((\d+)s\)/g, (m, n: string) => (Number(n) > 0 ? 'remaining(<ttl>)' : m));
    line = line.replace(/attached keys\(\[(.*)\]\)/, (_m, keys: string) => `attached keys([${keys.split(' ').sort().join(' ')}])`);
    const initialCluster = /^ETCD_INITIAL_CLUSTER="(.*)"$/.exec(line);
    if (initialCluster) line = `ETCD_INITIAL_CLUSTER="${initialCluster[1].split(',').sort().join(',')}"`;
    return line;
  }

  /** Parses a JSON line with ids turned into tokens, rewrites the varying fields, re-serializes. */
  private normalizeJsonLine(line: string): string | undefined {
    let text = line;
    for (const a of this.ids) text = text.replace(new RegExp(`(?<=[:\\[,])${a.dec}(?=[,}\\]])`, 'g'), `"${a.token}"`);
    // Unknown 64-bit ids stay exact (as strings) so they still compare, and show up in a diff.
    text = text.replace(new RegExp(`(?<=[:\\[,])(\\d{${LONG_INTEGER_DIGITS},})(?=[,}\\]])`, 'g'), '"#$1"');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    return JSON.stringify(this.normalizeJson(value));
  }

  private normalizeJson(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.normalizeJson(v));
    if (typeof value === 'string') return this.names.find((n) => n.name === value)?.token ?? value;
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    // A Maintenance.Status answer (proto3 JSON omits zero fields, so look for any of its own).
    const isStatus = ['dbSize', 'raftIndex', 'raftAppliedIndex', 'leader'].some((k) => k in obj);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'member_id' && typeof v === 'string' && v.startsWith('<member-')) out[k] = '<member>';
      else if (k === 'raft_term' || k === 'raftTerm') out[k] = '<term>';
      else if (isStatus && (k === 'version' || k === 'leader')) out[k] = `<${k}>`;
      else if (isStatus && STATUS_NUMBERS.includes(k)) continue; // set below
      else if (k === 'hash' && typeof v === 'number') out[k] = '<hash>';
      else if (k === 'took') out[k] = '<duration>';
      else if (k === 'ttl' && typeof v === 'number' && v > 0) out[k] = '<ttl>';
      else if ((k === 'members' || k === 'leases' || k === 'keys') && Array.isArray(v)) out[k] = sortByJson(v.map((x) => this.normalizeJson(x)));
      else out[k] = this.normalizeJson(v);
    }
    if (!isStatus) return out;
    // proto3 JSON omits zero numbers: the value fields count as present either way (a zero
    // dbSize is checked as a separate fact), and the keys are sorted so the order is stable.
    for (const k of STATUS_NUMBERS) out[k] = `<${k}>`;
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}

function sortByJson(items: unknown[]): unknown[] {
  return items.map((x) => ({ x, key: JSON.stringify(x) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((e) => e.x);
}

/** etcdctl's client-side zap warning (`{"level":"warn","ts":…}`) reduced to its message and error, or undefined. */
function clientWarning(line: string): string | undefined {
  if (!line.startsWith('{"level":')) return undefined;
  try {
    const w = JSON.parse(line) as { level?: string; msg?: string; error?: string };
    return `[etcdctl ${w.level}] ${w.msg}${w.error !== undefined ? `: ${w.error}` : ''}`;
  } catch {
    return undefined;
  }
}

/** Sorts the lines of a normalized output (for commands whose line order is not defined). */
export function sortLines(text: string): string {
  const trailing = text.endsWith('\n');
  const lines = (trailing ? text.slice(0, -1) : text).split('\n').sort();
  return lines.join('\n') + (trailing ? '\n' : '');
}
