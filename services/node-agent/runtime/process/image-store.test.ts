import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageArchiveError, layerWhiteouts, parseDockerManifest, parseImageConfig } from './image-archive';
import { ImageStore } from './image-store';

/** Tars the files {relative path: content} (a trailing / makes a directory) into `file`. */
function makeTar(file: string, files: Record<string, string>): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-tar-'));
  for (const [p, content] of Object.entries(files)) {
    const abs = path.join(dir, p);
    if (p.endsWith('/')) fs.mkdirSync(abs, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, content);
    }
  }
  execFileSync('tar', ['-cf', file, '-C', dir, '.']);
  fs.rmSync(dir, { recursive: true, force: true });
}

describe('image archives', () => {
  it('finds whiteouts and opaque directories among layer entries', () => {
    expect(layerWhiteouts(['./', './etc/', './etc/.wh.passwd', './var/.wh..wh..opq', 'var/new', '.wh.top'])).to.deep.equal({
      opaqueDirs: ['var'],
      deleted: ['etc/passwd', 'top'],
    });
  });

  it('parses docker save manifests and image configs, naming what is wrong', () => {
    expect(parseDockerManifest('[{"Config":"c.json","RepoTags":["a:1"],"Layers":["l/layer.tar"]}]')).to.deep.equal([
      { config: 'c.json', repoTags: ['a:1'], layers: ['l/layer.tar'] },
    ]);
    expect(() => parseDockerManifest('{}')).to.throw(ImageArchiveError, 'expected a non-empty array');
    expect(() => parseDockerManifest('[{"Layers":[]}]')).to.throw(ImageArchiveError, 'manifest.json[0].Config');
    expect(parseImageConfig('{"config":{"Entrypoint":["/e"],"Cmd":["c"],"Env":["A=1"],"WorkingDir":"/w","User":"1"}}')).to.deep.equal({
      entrypoint: ['/e'],
      cmd: ['c'],
      env: ['A=1'],
      workingDir: '/w',
      user: '1',
    });
  });

  describe('the image store (real tar archives)', () => {
    let dir: string;
    let store: ImageStore;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-images-'));
      store = new ImageStore(path.join(dir, 'store'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('imports a docker save archive: layers in order, whiteouts applied, config and tags kept', async () => {
      makeTar(path.join(dir, 'l1.tar'), { 'a': 'A', 'd/x': 'X', 'd/y': 'Y', 'keep': 'K' });
      makeTar(path.join(dir, 'l2.tar'), { '.wh.a': '', 'd/.wh..wh..opq': '', 'd/z': 'Z', 'keep': 'K2' });
      const cfg = JSON.stringify({ config: { Entrypoint: ['/bin/app'], Cmd: ['run'], Env: ['PATH=/bin'], WorkingDir: '/srv' } });
      const manifest = JSON.stringify([{ Config: 'cfg.json', RepoTags: ['docker.io/library/app:2'], Layers: ['l1/layer.tar', 'l2/layer.tar'] }]);
      const archive = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-save-'));
      fs.mkdirSync(path.join(archive, 'l1'));
      fs.mkdirSync(path.join(archive, 'l2'));
      fs.copyFileSync(path.join(dir, 'l1.tar'), path.join(archive, 'l1', 'layer.tar'));
      fs.copyFileSync(path.join(dir, 'l2.tar'), path.join(archive, 'l2', 'layer.tar'));
      fs.writeFileSync(path.join(archive, 'cfg.json'), cfg);
      fs.writeFileSync(path.join(archive, 'manifest.json'), manifest);
      execFileSync('tar', ['-cf', path.join(dir, 'save.tar'), '-C', archive, '.']);
      fs.rmSync(archive, { recursive: true, force: true });

      const image = await store.import('app:local', path.join(dir, 'save.tar'));
      const rootfs = store.rootfsOf(image.id);
      expect(fs.existsSync(path.join(rootfs, 'a'))).to.equal(false);
      expect(fs.readdirSync(path.join(rootfs, 'd'))).to.deep.equal(['z']);
      expect(fs.readFileSync(path.join(rootfs, 'keep'), 'utf8')).to.equal('K2');
      expect(image.config).to.include({ workingDir: '/srv' });
      expect(image.config.entrypoint).to.deep.equal(['/bin/app']);
      expect(store.describe(store.resolve('app:2')!).repoTags).to.deep.equal(['app:2', 'app:local']);
      expect(store.resolve(image.id.slice(7, 19))?.id).to.equal(image.id);
    });

    it('imports a rootfs tarball with the default config, re-import only adds a tag, remove untags then deletes', async () => {
      makeTar(path.join(dir, 'root.tar'), { 'bin/': '', 'etc/hostname': 'x' });
      const a = await store.import('tiny', path.join(dir, 'root.tar'));
      const b = await store.import('tiny:2', path.join(dir, 'root.tar'), { cmd: ['/bin/true'] });
      expect(b.id).to.equal(a.id);
      expect(a.config.cmd).to.deep.equal(['sh']);
      expect(store.resolve('tiny')!.config.cmd).to.deep.equal(['/bin/true']);
      expect(store.describe(b).repoTags).to.deep.equal(['tiny:2', 'tiny:latest']);
      store.remove('tiny', () => false);
      expect(store.resolve('tiny')).to.equal(null);
      expect(fs.existsSync(store.rootfsOf(a.id))).to.equal(true);
      store.remove('tiny:2', (id) => id === a.id); // in use: the tag goes, the files stay
      expect(store.list()).to.have.length(1);
      store.remove(a.id, () => false);
      expect(store.list()).to.have.length(0);
    });

    it('refuses a file that is not a tar archive, naming it', async () => {
      fs.writeFileSync(path.join(dir, 'junk'), 'not a tarball');
      try {
        await store.import('junk', path.join(dir, 'junk'));
        expect.fail('import should fail');
      } catch (err) {
        expect((err as Error).message).to.include(`${path.join(dir, 'junk')} is not a tar archive`);
      }
      expect(store.list()).to.deep.equal([]);
    });
  });
});
