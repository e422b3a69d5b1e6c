import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Cgroups, detectCgroupLayout, flatKeyed, sharesToWeight } from './cgroups';

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

describe('cgroup limits, stats and OOM on a directory tree shaped like each hierarchy', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-cg-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const read = (...p: string[]) => fs.readFileSync(path.join(dir, ...p), 'utf8');
  const resources = { cpuPeriod: 100000, cpuQuota: 50000, cpuShares: 512, memoryLimitInBytes: 64 << 20, pidsLimit: 100 };

  it('v2: cpu.max, cpu.weight, memory.max, pids.max, controllers delegated down the path; memory.events oom_kill', () => {
    const cg = new Cgroups({ version: 2, mounts: { unified: dir } });
    expect(cg.create('bosun/n1/pod/c1', resources)).to.deep.equal([path.join(dir, 'bosun/n1/pod/c1')]);
    expect(read('bosun/n1/pod/c1/cpu.max')).to.equal('50000 100000');
    expect(read('bosun/n1/pod/c1/cpu.weight')).to.equal(String(sharesToWeight(512)));
    expect(read('bosun/n1/pod/c1/memory.max')).to.equal(String(64 << 20));
    expect(read('bosun/n1/pod/c1/pids.max')).to.equal('100');
    expect(read('bosun/n1/pod/cgroup.subtree_control')).to.equal('+pids'); // the last write of +cpu, +memory, +pids
    fs.writeFileSync(path.join(dir, 'bosun/n1/pod/c1/cpu.stat'), 'usage_usec 1500\nuser_usec 1000\n');
    fs.writeFileSync(path.join(dir, 'bosun/n1/pod/c1/memory.current'), '1000000');
    fs.writeFileSync(path.join(dir, 'bosun/n1/pod/c1/memory.stat'), 'anon 1\ninactive_file 200000\n');
    expect(cg.stats('bosun/n1/pod/c1')).to.deep.equal({ cpuUsageCoreNanoSeconds: 1_500_000, memoryWorkingSetBytes: 800_000 });
    expect(cg.oomKilled('bosun/n1/pod/c1', 137)).to.equal(false);
    fs.writeFileSync(path.join(dir, 'bosun/n1/pod/c1/memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
    expect(cg.oomKilled('bosun/n1/pod/c1', 137)).to.equal(true);
  });

  it('v1: one directory per controller; cfs quota/period, shares, limit_in_bytes, pids.max; oom_control or failcnt + 137', () => {
    const mounts = Object.fromEntries(['cpu', 'cpuacct', 'memory', 'pids'].map((c) => [c, path.join(dir, c)]));
    const cg = new Cgroups({ version: 1, mounts });
    expect(cg.create('bosun/n1/c1', resources)).to.have.length(4);
    expect(read('cpu/bosun/n1/c1/cpu.cfs_quota_us')).to.equal('50000');
    expect(read('cpu/bosun/n1/c1/cpu.cfs_period_us')).to.equal('100000');
    expect(read('cpu/bosun/n1/c1/cpu.shares')).to.equal('512');
    expect(read('memory/bosun/n1/c1/memory.limit_in_bytes')).to.equal(String(64 << 20));
    expect(read('pids/bosun/n1/c1/pids.max')).to.equal('100');
    fs.writeFileSync(path.join(dir, 'memory/bosun/n1/c1/memory.failcnt'), '5');
    expect(cg.oomKilled('bosun/n1/c1', 137), 'older kernels: failcnt and SIGKILL').to.equal(true);
    expect(cg.oomKilled('bosun/n1/c1', 1)).to.equal(false);
    fs.writeFileSync(path.join(dir, 'memory/bosun/n1/c1/memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
    expect(cg.oomKilled('bosun/n1/c1', 137), 'oom_kill counter wins when present').to.equal(false);
    fs.writeFileSync(path.join(dir, 'cpuacct/bosun/n1/c1/cpuacct.usage'), '123456');
    fs.writeFileSync(path.join(dir, 'memory/bosun/n1/c1/memory.usage_in_bytes'), '5000');
    fs.writeFileSync(path.join(dir, 'memory/bosun/n1/c1/memory.stat'), 'cache 1\ntotal_inactive_file 1000\n');
    expect(cg.stats('bosun/n1/c1')).to.deep.equal({ cpuUsageCoreNanoSeconds: 123456, memoryWorkingSetBytes: 4000 });
  });
});
