import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RESOURCES } from '../../../lib/api/resources';
import type { ConfigMap } from '../../../lib/api/types';
import { writeAtomically } from './atomic-writer';
import { makePod, makeSetup } from './test-fixtures';

/** Updates the writer makes while the reader reads. */
const UPDATES = 150;
/** Bytes per file: large enough that a torn write would show. */
const FILE_BYTES = 64 * 1024;

/**
 * A separate process (truly concurrent with the writer) reading both files of the volume in a
 * loop until its stdin closes; prints {reads, missing, torn, mixed}: reads that failed (ENOENT),
 * files whose bytes are not all of one version, files of the wrong length.
 */
const READER = `
const fs = require('node:fs');
const [dir] = process.argv.slice(1);
let reads = 0, missing = 0, torn = 0, mixed = 0, stop = false;
process.stdin.on('end', () => { stop = true; });
process.stdin.resume();
function loop() {
  for (let i = 0; i < 200 && !stop; i++) {
    for (const key of ['a', 'b']) {
      let data;
      try { data = fs.readFileSync(dir + '/' + key, 'latin1'); } catch (e) { missing++; continue; }
      reads++;
      if (data.length !== ${FILE_BYTES}) { mixed++; continue; }
      const c = data[0];
      if (data !== c.repeat(${FILE_BYTES})) torn++;
    }
  }
  if (stop) process.stdout.write(JSON.stringify({ reads, missing, torn, mixed }));
  else setImmediate(loop);
}
loop();
`;

describe('atomic writer on the real file system', function () {
  this.timeout(90_000);
  let t: ReturnType<typeof makeSetup>;
  beforeEach(() => {
    t = makeSetup();
  });
  afterEach(() => t.cleanup());

  it('a reader loop never sees a missing or torn file while the ConfigMap changes (the ..data swap)', async () => {
    const version = (i: number) => String.fromCharCode(97 + (i % 26)).repeat(FILE_BYTES);
    t.api.seed<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { a: version(0), b: version(0) } });
    const pod = makePod({ volumes: [{ name: 'conf', configMap: { name: 'c' } }] });
    await t.setup.setUpVolumes(pod);
    const dir = path.join(t.root, 'pods', 'uid-1', 'volumes', 'kubernetes.io~configmap', 'conf');

    const reader = spawn(process.execPath, ['-e', READER, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => reader.on('exit', resolve));
    const client = t.api.resource<ConfigMap>(RESOURCES.configmaps);
    for (let i = 1; i <= UPDATES; i++) {
      const cm = await client.get('ns', 'c');
      await client.update('ns', { ...cm, data: { a: version(i), b: version(i) } });
      await t.setup.setUpVolumes(pod);
    }
    reader.stdin.end();
    expect(await exited).to.equal(0);
    const result = JSON.parse(out) as { reads: number; missing: number; torn: number; mixed: number };
    if (process.env.BOSUN_TEST_VERBOSE) console.log('atomic writer reader', result);
    expect(result.reads).to.be.greaterThan(0);
    expect(result).to.deep.include({ missing: 0, torn: 0, mixed: 0 });
    expect(fs.readFileSync(path.join(dir, 'a'), 'latin1')).to.equal(version(UPDATES));
    const versions = fs.readdirSync(dir).filter((n) => /^\.\.\d{4}_/.test(n));
    expect(versions.length, 'the current version and the one it replaced').to.be.at.most(2);
  });

  it('refuses absolute and escaping paths before writing anything', async () => {
    const dir = path.join(t.root, 'v');
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', '..data/x']) {
      const err = await writeAtomically(dir, new Map([[bad, { data: Buffer.from('x'), mode: 0o644 }]])).catch((e: unknown) => e as Error);
      expect(err, bad).to.be.instanceOf(Error);
      expect((err as Error).message).to.contain(`invalid path "${bad}"`);
    }
    expect(fs.existsSync(dir)).to.equal(false);
  });
});
