import { expect } from 'chai';
import { ConfigError } from '../../../lib/config-error';
import { CidrSet, parseIpv4Cidr } from './cidr-set';

describe('CidrSet (node pod ranges out of the cluster range)', () => {
  it('hands out /24s of 10.42.0.0/16 round-robin, never twice, and null once all are taken', () => {
    const set = new CidrSet('10.42.0.0/16', 24);
    expect(set.capacity).to.equal(256);
    expect(set.allocateNext()).to.equal('10.42.0.0/24');
    expect(set.allocateNext()).to.equal('10.42.1.0/24');
    const seen = new Set(['10.42.0.0/24', '10.42.1.0/24']);
    for (let i = 2; i < 256; i++) seen.add(set.allocateNext()!);
    expect(seen.size).to.equal(256);
    expect(set.allocateNext()).to.equal(null);
    expect(set.release('10.42.7.0/24')).to.equal(true);
    expect(set.allocateNext()).to.equal('10.42.7.0/24');
  });

  it('skips occupied subnets (restored from Nodes) and does not reuse a released one at once', () => {
    const set = new CidrSet('10.42.0.0/22', 24);
    expect(set.occupy('10.42.0.0/24')).to.equal(true);
    expect(set.occupy('10.42.2.0/23')).to.equal(true); // a wider range covers two subnets
    expect(set.allocated).to.equal(3);
    expect(set.allocateNext()).to.equal('10.42.1.0/24');
    set.release('10.42.0.0/24');
    expect(set.allocateNext()).to.equal('10.42.0.0/24');
    expect(set.allocateNext()).to.equal(null);
  });

  it('refuses subnets outside the range and malformed ones without changing anything', () => {
    const set = new CidrSet('10.42.0.0/16', 24);
    expect(set.occupy('10.43.0.0/24')).to.equal(false);
    expect(set.occupy('10.0.0.0/8')).to.equal(false);
    expect(set.occupy('nonsense')).to.equal(false);
    expect(set.allocated).to.equal(0);
  });

  it('refuses bad flags with a ConfigError naming the flag', () => {
    expect(() => new CidrSet('10.42.0.0', 24)).to.throw(ConfigError, '--cluster-cidr: "10.42.0.0" is not an IPv4 CIDR');
    expect(() => new CidrSet('10.42.1.0/16', 24)).to.throw(ConfigError, '--cluster-cidr: "10.42.1.0/16" has host bits set (the network is 10.42.0.0/16)');
    expect(() => new CidrSet('10.42.0.0/16', 8)).to.throw(ConfigError, '--node-cidr-mask-size: 8 must be an integer between');
    expect(() => new CidrSet('10.0.0.0/8', 30)).to.throw(ConfigError, 'into more than 2^16 subnets');
  });

  it('parses CIDRs to numbers', () => {
    expect(parseIpv4Cidr('10.42.3.0/24')).to.deep.equal({ base: ((10 * 256 + 42) * 256 + 3) * 256, prefix: 24 });
    expect(() => parseIpv4Cidr('300.1.1.0/24')).to.throw('is not an IPv4 CIDR');
  });
});
