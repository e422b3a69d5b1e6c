import { expect } from 'chai';
import { CriLogLineSplitter, formatCriLogRecord, parseCriLogLine, recordPayload, rfc3339Nano } from './cri-log';

describe('CRI log format', () => {
  it('formats RFC3339Nano as Go does: UTC, fraction without trailing zeros', () => {
    expect(rfc3339Nano(new Date(Date.UTC(2026, 11, 7, 0, 11, 53, 120)))).to.equal('2026-12-07T00:11:53.12Z');
    expect(rfc3339Nano(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 0)))).to.equal('2026-01-02T03:04:05Z');
  });

  it('round-trips full and partial records, keeping spaces in the text', () => {
    const line = formatCriLogRecord('stderr', 'a  b ', false, '2026-12-07T00:11:53.123456789Z');
    expect(line).to.equal('2026-12-07T00:11:53.123456789Z stderr P a  b \n');
    const rec = parseCriLogLine(line.slice(0, -1));
    expect(rec).to.deep.equal({ time: '2026-12-07T00:11:53.123456789Z', stream: 'stderr', full: false, text: 'a  b ' });
    expect(recordPayload(rec!)).to.equal('a  b ');
    expect(recordPayload(parseCriLogLine('t stdout F x')!)).to.equal('x\n');
    expect(parseCriLogLine('t stdout F ')).to.deep.include({ text: '', full: true });
  });

  it('rejects lines that are not records', () => {
    expect(parseCriLogLine('hello world')).to.equal(null);
    expect(parseCriLogLine('t stdin F x')).to.equal(null);
    expect(parseCriLogLine('t stdout X x')).to.equal(null);
  });

  it('splits a growing log into complete records only', () => {
    const s = new CriLogLineSplitter();
    expect(s.push('t1 stdout F he')).to.deep.equal([]);
    expect(s.push('llo\nt2 stderr P pa').map((r) => r.text)).to.deep.equal(['hello']);
    expect(s.push('rt\n').map((r) => [r.stream, r.full, r.text])).to.deep.equal([['stderr', false, 'part']]);
  });
});
