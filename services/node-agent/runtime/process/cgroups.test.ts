import { expect } from 'chai';
import { detectCgroupLayout, flatKeyed, sharesToWeight } from './cgroups';

const V1_MOUNTINFO = [
  '30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '33 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '34 30 0:30 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '35 30 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

describe('cgroup layout', () => {
  it('detects v1 controller mounts (and ignores a unified mount without cpu/memory)', () => {
    const layout = detectCgroupLayout(V1_MOUNTINFO, () => 'hugetlb');
    expect(layout).to.deep.equal({
      version: 1,
      mounts: { cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpuacct', memory: '/sys/fs/cgroup/memory', pids: '/sys/fs/cgroup/pids' },
    });
  });

  it('treats combined v1 mounts (cpu,cpuacct) as one directory for both', () => {
    const info = '31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n34 30 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids';
    expect(detectCgroupLayout(info, () => '')!.mounts).to.include({ cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct' });
  });

  it('prefers a unified (v2) hierarchy with cpu and memory', () => {
    const info = '27 22 0:24 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate';
    expect(detectCgroupLayout(info, () => 'cpuset cpu io memory pids')).to.deep.equal({ version: 2, mounts: { unified: '/sys/fs/cgroup' } });
    expect(detectCgroupLayout('', () => '')).to.equal(null);
  });

  it('maps cpu.shares onto cpu.weight and reads flat keyed files', () => {
    expect(sharesToWeight(2)).to.equal(1);
    expect(sharesToWeight(1024)).to.equal(39);
    expect(sharesToWeight(262144)).to.equal(10000);
    expect(flatKeyed('oom 1\noom_kill 2\n', 'oom_kill')).to.equal(2);
    expect(flatKeyed('under_oom 0', 'oom_kill')).to.equal(undefined);
  });
});
