import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makePod, makeSetup } from './test-fixtures';
import { systemMounter } from './tmpfs';

describe('emptyDir medium Memory on a real tmpfs (root only)', function () {
  this.timeout(60_000);
  before(function () {
    if (!systemMounter.canMount()) this.skip();
  });

  it('mounts a tmpfs of sizeLimit that refuses more, and teardown unmounts it and removes the pod directory', async () => {
    const t = makeSetup({ mounter: systemMounter });
    const dir = path.join(t.root, 'pods', 'uid-1', 'volumes', 'kubernetes.io~empty-dir', 'shm');
    try {
      const pod = makePod({ volumes: [{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }] });
      await t.setup.setUpVolumes(pod);
      await t.setup.setUpVolumes(pod); // idempotent: not mounted twice
      const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === dir);
      expect(mounts).to.have.length(1);
      expect(mounts[0]).to.match(/ - tmpfs tmpfs .*size=1024k/);
      expect(() => fs.writeFileSync(path.join(dir, 'big'), Buffer.alloc(2 * 1024 * 1024))).to.throw(/ENOSPC/);
      await t.setup.tearDownVolumes('uid-1');
      expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).to.not.contain(dir);
      expect(fs.existsSync(path.join(t.root, 'pods', 'uid-1'))).to.equal(false);
    } finally {
      if (fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(dir)) await systemMounter.unmount(dir).catch(() => undefined);
      t.cleanup();
    }
  });
});
