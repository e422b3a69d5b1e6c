import { expect } from 'chai';
import { silenceIpServernameWarning } from './ip-servername-warning';

describe('silenceIpServernameWarning', () => {
  it("drops Node's DEP0123 (IP address as TLS server name) and lets every other warning through", async () => {
    silenceIpServernameWarning();
    const seen: string[] = [];
    const listener = (w: Error & { code?: string }) => seen.push(w.code ?? w.message);
    process.on('warning', listener);
    try {
      process.emitWarning('Setting the TLS ServerName to an IP address is not permitted', { type: 'DeprecationWarning', code: 'DEP0123' });
      process.emitWarning('Setting the TLS ServerName to an IP address is not permitted', 'DeprecationWarning', 'DEP0123');
      process.emitWarning('something else', { type: 'Warning', code: 'BOSUN_TEST' });
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(seen).to.deep.equal(['BOSUN_TEST']);
    } finally {
      process.off('warning', listener);
    }
  });
});
