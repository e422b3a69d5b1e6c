import { expect } from 'chai';
import { ConfigError } from '../lib/config-error';
import { apiserverCommand, apiserverEnv, parseBoolFlag, parseEventTtlSeconds } from './apiserver-command';
import { parseDurationMs } from './command-support';

describe('bosun apiserver flags', () => {
  it('--event-ttl takes a duration as whole seconds (Go forms too), from BOSUN_APISERVER_EVENT_TTL as well', () => {
    expect(parseEventTtlSeconds('1h')).to.equal(3600);
    expect(parseEventTtlSeconds('1h0m0s')).to.equal(3600);
    expect(parseEventTtlSeconds('90s')).to.equal(90);
    expect(parseEventTtlSeconds('1500ms')).to.equal(2);
    expect(parseEventTtlSeconds('5')).to.equal(5);
    expect(apiserverEnv('event-ttl')).to.equal('BOSUN_APISERVER_EVENT_TTL');
  });

  it('--event-ttl refuses what is not a duration, and anything under 1s', () => {
    expect(() => parseEventTtlSeconds('soon')).to.throw(ConfigError, '--event-ttl: "soon" is not a duration such as 1h, 30m or 90s');
    expect(() => parseEventTtlSeconds('0s')).to.throw(ConfigError, '--event-ttl: "0s" is shorter than 1s');
  });

  it('durations add up their parts', () => {
    expect(parseDurationMs('1h30m')).to.equal(5_400_000);
    expect(parseDurationMs('2m3s500ms')).to.equal(123_500);
    expect(() => parseDurationMs('1d')).to.throw('expected a duration such as 30s, 500ms or 2m, got "1d"');
  });

  it('--anonymous-auth is off by default and takes true or false (Kubernetes\' form --anonymous-auth=false too)', () => {
    const parse = parseBoolFlag('anonymous-auth');
    expect([parse('true'), parse('false'), parse(true)]).to.deep.equal([true, false, true]);
    expect(() => parse('yes')).to.throw(ConfigError, '--anonymous-auth: "yes" is not true or false');
    const option = apiserverCommand().options.find((o) => o.long === '--anonymous-auth');
    expect(option?.defaultValue).to.equal(false);
  });
});
