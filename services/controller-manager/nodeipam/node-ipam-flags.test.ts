import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { BOSUN_BIN } from '../../../lib/launcher/local-process';

/** `bosun controller-manager` with a bad node IPAM flag: exit 2 naming the flag, before connecting (the real binary). */
describe('bosun controller-manager --cluster-cidr / --node-cidr-mask-size', function () {
  this.timeout(60_000);
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [BOSUN_BIN, 'controller-manager', '--apiserver', '127.0.0.1:1', ...args], { timeout: 30_000 }, (err, _stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      );
    });

  it('refuses a malformed cluster CIDR and a mask size that is not an integer', async () => {
    const cidr = await run(['--cluster-cidr', '10.42.0.0']);
    expect(cidr.code).to.equal(2);
    expect(cidr.stderr).to.contain('bosun: --cluster-cidr: "10.42.0.0" is not an IPv4 CIDR');
    const mask = await run(['--node-cidr-mask-size', 'x']);
    expect(mask.code).to.equal(2);
    expect(mask.stderr).to.contain('bosun: --node-cidr-mask-size: "x" is not an integer');
  });
});
