import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readFittingPair } from './reloading-identity';
import { writeKeyPairAtomically } from './write-file-atomically';
import { makeCertificate } from './x509';

describe('key pairs shared by several processes', () => {
  const a = makeCertificate({ subject: { commonName: 'a' }, usage: 'server', hosts: ['127.0.0.1'], validityDays: 1 });
  const b = makeCertificate({ subject: { commonName: 'b' }, usage: 'server', hosts: ['127.0.0.1'], validityDays: 1 });

  it('a first read waits while the key and certificate do not fit yet, and takes the pair once they do', () => {
    let reads = 0;
    const pair = readFittingPair(() => (++reads < 3 ? { cert: a.cert, key: b.key } : { cert: b.cert, key: b.key }), 2_000);
    expect(pair.cert).to.equal(b.cert);
    expect(reads).to.equal(3);
  });

  it('a pair that never fits is refused after the wait', () => {
    expect(() => readFittingPair(() => ({ cert: a.cert, key: b.key }), 100)).to.throw();
  });

  it('writes key and certificate under a lock, taking over a stale one, and leaves no lock behind', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-pair-'));
    try {
      const key = path.join(dir, 'x.key');
      const crt = path.join(dir, 'x.crt');
      fs.writeFileSync(`${crt}.lock`, '');
      const old = new Date(Date.now() - 60_000);
      fs.utimesSync(`${crt}.lock`, old, old);
      writeKeyPairAtomically(key, crt, a);
      expect(readFittingPair(() => ({ cert: fs.readFileSync(crt, 'utf8'), key: fs.readFileSync(key, 'utf8') })).cert).to.equal(a.cert);
      expect(fs.existsSync(`${crt}.lock`)).to.equal(false);
      expect(fs.statSync(key).mode & 0o777).to.equal(0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
