import { expect } from 'chai';
import { formatAgo, formatRFC1123Z, humanDuration, shortHumanDuration, translateTimestampSince } from './age';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('printers/age', () => {
  it('humanDuration follows apimachinery duration.HumanDuration', () => {
    const cases: [number, string][] = [
      [-3 * S, '<invalid>'],
      [-2 * S, '<invalid>'],
      [-1999, '0s'],
      [-1 * S, '0s'],
      [0, '0s'],
      [999, '0s'],
      [59 * S, '59s'],
      [60 * S, '60s'],
      [119 * S, '119s'],
      [2 * M, '2m'],
      [2 * M + 3 * S, '2m3s'],
      [9 * M + 59 * S, '9m59s'],
      [10 * M, '10m'],
      [10 * M + 30 * S, '10m'],
      [179 * M, '179m'],
      [3 * H, '3h'],
      [3 * H + 5 * M, '3h5m'],
      [7 * H + 59 * M, '7h59m'],
      [8 * H, '8h'],
      [47 * H, '47h'],
      [2 * D, '2d'],
      [2 * D + 5 * H, '2d5h'],
      [7 * D + 23 * H, '7d23h'],
      [8 * D, '8d'],
      [729 * D, '729d'],
      [730 * D, '2y'],
      [731 * D, '2y1d'],
      [8 * 365 * D, '8y'],
      [10 * 365 * D + 100 * D, '10y'],
    ];
    for (const [ms, want] of cases) expect(humanDuration(ms), `${ms}ms`).to.equal(want);
  });

  it('shortHumanDuration uses one unit', () => {
    expect(shortHumanDuration(45 * S)).to.equal('45s');
    expect(shortHumanDuration(3 * M + 59 * S)).to.equal('3m');
    expect(shortHumanDuration(5 * H)).to.equal('5h');
    expect(shortHumanDuration(12 * D)).to.equal('12d');
    expect(shortHumanDuration(800 * D)).to.equal('2y');
    expect(shortHumanDuration(-5 * S)).to.equal('<invalid>');
  });

  it('translateTimestampSince handles missing, bad and future timestamps', () => {
    const now = new Date('2024-05-01T12:00:00Z');
    expect(translateTimestampSince('2024-05-01T11:55:00Z', now)).to.equal('5m');
    expect(translateTimestampSince(undefined, now)).to.equal('<unknown>');
    expect(translateTimestampSince('yesterday', now)).to.equal('<unknown>');
    expect(translateTimestampSince(42, now)).to.equal('<unknown>');
    expect(translateTimestampSince('2024-05-01T12:00:01Z', now)).to.equal('0s');
    expect(translateTimestampSince('2024-05-01T13:00:00Z', now)).to.equal('<invalid>');
    expect(formatAgo('2024-05-01T11:55:00Z', now)).to.equal('5m ago');
  });

  it('formatRFC1123Z prints Go RFC1123Z', () => {
    expect(formatRFC1123Z('2006-01-02T15:04:05Z')).to.equal('Mon, 02 Jan 2006 15:04:05 +0000');
    expect(formatRFC1123Z('2006-01-02T22:04:05Z', -420)).to.equal('Mon, 02 Jan 2006 15:04:05 -0700');
    expect(formatRFC1123Z('2024-03-09T23:30:00Z', 330)).to.equal('Sun, 10 Mar 2024 05:00:00 +0530');
    expect(formatRFC1123Z(undefined)).to.equal('<unknown>');
    expect(formatRFC1123Z('garbage')).to.equal('<unknown>');
  });
});
