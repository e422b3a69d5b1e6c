import { expect } from 'chai';
import { FakeClock } from '../../../lib/client/fake-clock';
import type { ServiceEndpoint } from '../../../lib/network/service-table';
import { EndpointPicker } from './endpoint-picker';

function ep(ip: string): ServiceEndpoint {
  return { ip, port: 80, ready: true, serving: true, terminating: false };
}

describe('EndpointPicker', () => {
  const a = ep('10.42.0.2');
  const b = ep('10.42.0.3');
  const c = ep('10.42.0.4');

  it('goes round-robin and skips excluded endpoints', () => {
    const picker = new EndpointPicker({ type: 'None' }, new FakeClock());
    picker.update([a, b, c], { type: 'None' });
    expect([1, 2, 3, 4].map(() => picker.pick('1.1.1.1')?.ip)).to.deep.equal([a.ip, b.ip, c.ip, a.ip]);
    expect(picker.pick('1.1.1.1', new Set(['10.42.0.3:80']))?.ip).to.equal(c.ip);
    expect(picker.pick('1.1.1.1', new Set(['10.42.0.2:80', '10.42.0.3:80', '10.42.0.4:80']))).to.equal(undefined);
  });

  it('sticks a client IP to its endpoint, resets the timeout on use, and forgets it after the timeout', async () => {
    const clock = new FakeClock();
    const affinity = { type: 'ClientIP', timeoutSeconds: 10 } as const;
    const picker = new EndpointPicker(affinity, clock);
    picker.update([a, b], affinity);
    const first = picker.pick('1.1.1.1')!.ip;
    await clock.advance(9_000);
    expect(picker.pick('1.1.1.1')!.ip).to.equal(first);
    await clock.advance(9_000);
    expect(picker.pick('1.1.1.1')!.ip, 'timeout reset by use').to.equal(first);
    expect(picker.pick('2.2.2.2')!.ip, 'another client is balanced').to.not.equal(first);
    await clock.advance(10_001);
    // Expired: 1.1.1.1 is balanced afresh; 3.3.3.3 takes the next endpoint (`first`), so 1.1.1.1 gets the other.
    picker.pick('3.3.3.3');
    expect(picker.pick('1.1.1.1')!.ip).to.not.equal(first);
  });

  it('drops affinities to endpoints that left, and all of them when affinity is turned off', () => {
    const affinity = { type: 'ClientIP', timeoutSeconds: 100 } as const;
    const picker = new EndpointPicker(affinity, new FakeClock());
    picker.update([a, b], affinity);
    const first = picker.pick('1.1.1.1')!;
    const other = first === a ? b : a;
    picker.update([other], affinity);
    expect(picker.pick('1.1.1.1')).to.equal(other);
    picker.update([a, b], affinity);
    expect(picker.pick('1.1.1.1')).to.equal(other);
    picker.forget('1.1.1.1');
    picker.update([a, b], { type: 'None' });
    const picks = new Set([1, 2].map(() => picker.pick('1.1.1.1')!.ip));
    expect(picks.size).to.equal(2);
  });
});
