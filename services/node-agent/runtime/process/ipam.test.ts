import { expect } from 'chai';
import { allocate, emptyIpam, formatIpv4, gatewayOf, IpamError, parseCidr, parseIpv4, release } from './ipam';

describe('pod IPAM', () => {
  it('parses CIDRs to their network and refuses bad ones naming the value', () => {
    expect(parseCidr('10.42.3.7/24')).to.deep.equal({ network: parseIpv4('10.42.3.0'), prefix: 24 });
    expect(formatIpv4(parseIpv4('255.1.0.9'))).to.equal('255.1.0.9');
    expect(() => parseCidr('10.42.3.0')).to.throw(IpamError, 'podCIDR "10.42.3.0" is not an IPv4 CIDR');
    expect(() => parseCidr('10.42.3.0/31')).to.throw(IpamError, 'at most /30');
    expect(() => parseCidr('10.42.300.0/24')).to.throw(IpamError, '"10.42.300.0" is not an IPv4 address');
  });

  it('keeps .1 for the gateway and hands out addresses round-robin: a released one comes back only after the others', () => {
    expect(gatewayOf('10.42.3.0/24')).to.equal('10.42.3.1');
    let s = emptyIpam('10.42.3.0/24');
    const a = allocate(s, 'a');
    s = a.state;
    const b = allocate(s, 'b');
    s = b.state;
    expect([a.ip, b.ip]).to.deep.equal(['10.42.3.2', '10.42.3.3']);
    s = release(s, 'a');
    const c = allocate(s, 'c');
    expect(c.ip, 'not the address a just released').to.equal('10.42.3.4');
    expect(release(c.state, 'c').last).to.equal('10.42.3.4');
  });

  it('wraps around to the start of the range, skipping held addresses', () => {
    let s = emptyIpam('10.42.3.0/29'); // pods .2 to .6
    for (const id of ['a', 'b', 'c', 'd', 'e']) s = allocate(s, id).state;
    s = release(release(s, 'b'), 'd');
    const f = allocate(s, 'f');
    expect(f.ip).to.equal('10.42.3.3');
    expect(allocate(f.state, 'g').ip).to.equal('10.42.3.5');
  });

  it('starts from the beginning when the last address is outside the range or not an address', () => {
    expect(allocate({ ...emptyIpam('10.42.3.0/24'), last: '10.42.9.9' }, 'a').ip).to.equal('10.42.3.2');
    expect(allocate({ ...emptyIpam('10.42.3.0/24'), last: 'garbage' }, 'a').ip).to.equal('10.42.3.2');
    expect(allocate({ ...emptyIpam('10.42.3.0/24'), last: '10.42.3.254' }, 'a').ip).to.equal('10.42.3.2');
  });

  it('gives a sandbox the address it already holds (a retried creation does not leak)', () => {
    const first = allocate(emptyIpam('10.42.3.0/24'), 'a');
    const again = allocate(first.state, 'a');
    expect(again.ip).to.equal(first.ip);
    expect(Object.keys(again.state.allocated)).to.have.length(1);
  });

  it('fails when the range is full, never handing out the broadcast address', () => {
    let s = emptyIpam('10.42.3.0/30'); // network .0, gateway .1, pod .2, broadcast .3
    s = allocate(s, 'a').state;
    expect(Object.keys(s.allocated)).to.deep.equal(['10.42.3.2']);
    expect(() => allocate(s, 'b')).to.throw(IpamError, 'podCIDR 10.42.3.0/30 has no free address');
  });
});
