import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseCriLogLine, parseRfc3339, streamContainerLog, type LogOptions } from './log-reader';
import { parseLogQuery } from './streaming-query';

const T0 = '2026-01-02T03:04:05.100000000Z';
const T1 = '2026-01-02T03:04:06.200000000Z';
const T2 = '2026-01-02T03:04:07.300000000Z';

describe('CRI log reader', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-log-reader-'));
    file = path.join(dir, '0.log');
    fs.writeFileSync(file, [`${T0} stdout F first`, `${T1} stderr P sec`, `${T1} stderr F ond`, `${T2} stdout F third`, ''].join('\n'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function read(options: LogOptions): Promise<string> {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    await streamContainerLog(file, options, out);
    return text;
  }

  it('parses records: time, stream, full or partial, text (which may hold spaces or be empty)', () => {
    expect(parseCriLogLine(Buffer.from(`${T0} stdout F a b  c`))).to.deep.include({ time: T0, stream: 'stdout', partial: false, content: Buffer.from('a b  c') });
    expect(parseCriLogLine(Buffer.from(`${T0} stderr P`))).to.deep.include({ partial: true, content: Buffer.alloc(0) });
    expect(parseCriLogLine(Buffer.from('garbage'))).to.equal(null);
    expect(parseCriLogLine(Buffer.from(`${T0} stdin F x`))).to.equal(null);
    expect(parseRfc3339(T1)).to.equal(Date.parse('2026-01-02T03:04:06.200Z'));
    expect(parseRfc3339('2026-01-02T03:04:06+02:00')).to.equal(Date.parse('2026-01-02T01:04:06Z'));
  });

  it('prints every record, partial ones joined into their line', async () => {
    expect(await read({})).to.equal('first\nsecond\nthird\n');
  });

  it('tail, since, timestamps and limitBytes', async () => {
    expect(await read({ tailLines: 1 })).to.equal('third\n');
    expect(await read({ tailLines: 0 })).to.equal('');
    expect(await read({ sinceMs: Date.parse('2026-01-02T03:04:06Z') })).to.equal('second\nthird\n');
    expect(await read({ timestamps: true, tailLines: 1 })).to.equal(`${T2} third\n`);
    expect(await read({ limitBytes: 8 })).to.equal('first\nse');
  });

  it('a missing file is an empty log; a line without its newline yet is held back', async () => {
    fs.rmSync(file);
    expect(await read({})).to.equal('');
    fs.writeFileSync(file, `${T0} stdout F done\n${T1} stdout F half-writ`);
    expect(await read({})).to.equal('done\n');
  });

  it('follow reads appended records until the container stops, polling only when told to', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    let running = true;
    const waits: (() => void)[] = [];
    const following = streamContainerLog(file, { follow: true, tailLines: 1 }, out, {
      running: async () => running,
      wait: () => new Promise<void>((resolve) => waits.push(resolve)),
    });
    const nextWait = async () => {
      while (waits.length === 0) await new Promise((r) => setImmediate(r));
      return waits.shift()!;
    };
    let resume = await nextWait();
    expect(text).to.equal('third\n');
    fs.appendFileSync(file, `${T2} stdout F fourth\n${T2} stdout F fif`);
    resume();
    resume = await nextWait();
    expect(text).to.equal('third\nfourth\n');
    fs.appendFileSync(file, 'th\n');
    running = false;
    resume();
    await following;
    expect(text).to.equal('third\nfourth\nfifth\n');
  });

  it('follow stops when the client goes away', async () => {
    const out = new PassThrough();
    out.resume();
    const abort = new AbortController();
    const following = streamContainerLog(file, { follow: true }, out, { running: async () => true, signal: abort.signal });
    abort.abort();
    await following;
  });

  it('query parameters: bad values are 400s naming the parameter', () => {
    expect(parseLogQuery(new URLSearchParams('tailLines=5&follow=true&timestamps=true'), 0)).to.deep.include({ tailLines: 5, follow: true, timestamps: true, previous: false });
    expect(parseLogQuery(new URLSearchParams('sinceSeconds=10'), 60_000).sinceMs).to.equal(50_000);
    expect(() => parseLogQuery(new URLSearchParams('tailLines=x'), 0)).to.throw(/^tailLines: Invalid value: "x"/);
    expect(() => parseLogQuery(new URLSearchParams('limitBytes=0'), 0)).to.throw(/^limitBytes: Invalid value: 0/);
    expect(() => parseLogQuery(new URLSearchParams('sinceTime=yesterday'), 0)).to.throw(/^sinceTime: Invalid value/);
    expect(() => parseLogQuery(new URLSearchParams('sinceTime=2026-01-01T00:00:00Z&sinceSeconds=1'), 0)).to.throw(/at most one/);
  });
});
