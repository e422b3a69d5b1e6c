import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { containerArgv, containerCwd, containerEnv, containerUser, ContainerSpecError } from './container-spec';
import type { ImageConfig } from './image-archive';

const image: ImageConfig = { entrypoint: ['/entry'], cmd: ['serve', '--port=80'], env: ['PATH=/bin', 'A=1'], workingDir: '/app', user: '' };
const security = (s = {}) => ({ linux: { resources: {}, security: s } });

describe('container process spec (Kubernetes command/args rules)', () => {
  it('combines command and args with the image entrypoint and cmd', () => {
    expect(containerArgv({ command: [], args: [] }, image)).to.deep.equal(['/entry', 'serve', '--port=80']);
    expect(containerArgv({ command: [], args: ['x'] }, image)).to.deep.equal(['/entry', 'x']);
    expect(containerArgv({ command: ['sh'], args: [] }, image)).to.deep.equal(['sh']);
    expect(containerArgv({ command: ['sh'], args: ['-c', 'true'] }, image)).to.deep.equal(['sh', '-c', 'true']);
  });

  it('overrides image env by key, in the image order, then appends new keys', () => {
    expect(containerEnv({ envs: [{ key: 'B', value: '2' }, { key: 'A', value: 'x=y' }] }, image)).to.deep.equal(['PATH=/bin', 'A=x=y', 'B=2']);
  });

  it('resolves the user from runAsUser/runAsGroup, else the image user by number or name', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-spec-'));
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\nweb:x:33:34::/var/www:/bin/sh\n');
    fs.writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\nstaff:x:50:\n');
    try {
      expect(containerUser(security(), image, root)).to.deep.equal({ uid: 0, gid: 0, groups: [] });
      expect(containerUser(security(), { ...image, user: 'web' }, root)).to.deep.include({ uid: 33, gid: 34 });
      expect(containerUser(security(), { ...image, user: '1000:staff' }, root)).to.deep.include({ uid: 1000, gid: 50 });
      expect(containerUser(security({ runAsUser: 7, runAsGroup: 8, supplementalGroups: [9] }), { ...image, user: 'web' }, root)).to.deep.equal({ uid: 7, gid: 8, groups: [9] });
      expect(() => containerUser(security(), { ...image, user: 'nobody2' }, root)).to.throw(ContainerSpecError, `image user "nobody2" is not in the image's /etc/passwd`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes the working directory from the container, else the image, else /', () => {
    expect(containerCwd({ workingDir: '/x' }, image)).to.equal('/x');
    expect(containerCwd({}, image)).to.equal('/app');
    expect(containerCwd({}, { ...image, workingDir: '' })).to.equal('/');
  });
});
