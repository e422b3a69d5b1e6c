import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeClock } from '../client/fake-clock';
import { ensureComponentCert } from '../pki/component-certs';
import { makeCertificate } from '../pki/x509';
import { CertRenewer, type RenewalReport } from './cert-renewer';

const MS_PER_DAY = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;

describe('CertRenewer: bosun up renews what its CAs signed while the cluster runs', () => {
  let pki: string;
  beforeEach(() => {
    pki = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-cert-renewer-'));
    for (const dir of [pki, path.join(pki, 'store')]) {
      fs.mkdirSync(dir, { recursive: true });
      const ca = makeCertificate({ subject: { commonName: `ca-${path.basename(dir)}` }, usage: 'ca', validityDays: 3650 });
      fs.writeFileSync(path.join(dir, 'ca.crt'), ca.cert);
      fs.writeFileSync(path.join(dir, 'ca.key'), ca.key);
    }
    ensureComponentCert(pki, { name: 'client-kube-scheduler', commonName: 'system:kube-scheduler', usage: 'client' });
    ensureComponentCert(path.join(pki, 'store'), { name: 'store-store-1', commonName: 'store-1', usage: 'peer', hosts: ['127.0.0.1'] });
  });
  afterEach(() => fs.rmSync(pki, { recursive: true, force: true }));

  it('checks at start and on every interval, renewing each due certificate and telling what it did', async () => {
    // A year-long certificate is due 30 days before it expires: 335 days after it was issued.
    const clock = new FakeClock(Date.now());
    const heard: RenewalReport[][] = [];
    const dirs = [pki, path.join(pki, 'store')];
    const renewer = new CertRenewer({ dirs, onChecked: (r) => heard.push(r), intervalMs: MS_PER_DAY, clock });
    renewer.start();
    expect(heard, 'nothing is due at start').to.deep.equal([]);
    await clock.advance(334 * MS_PER_DAY);
    expect(heard).to.deep.equal([]);
    await clock.advance(MS_PER_DAY);
    expect(heard).to.deep.equal([[
      { dir: pki, renewed: ['client-kube-scheduler'], failed: [] },
      { dir: path.join(pki, 'store'), renewed: ['store-store-1'], failed: [] },
    ]]);
    renewer.stop();
    // Renewed for a year from now: nothing is due today.
    expect(new CertRenewer({ dirs, onChecked: () => undefined }).check()).to.deep.equal([]);
  });

  it('keeps checking when whoever it tells fails', async () => {
    const clock = new FakeClock(Date.now() + 400 * MS_PER_DAY);
    const errors: string[] = [];
    let calls = 0;
    const renewer = new CertRenewer({
      dirs: [pki],
      onChecked: () => {
        calls++;
        throw new Error('cannot write the kubeconfigs');
      },
      onError: (err) => errors.push(err.message),
      intervalMs: HOUR_MS,
      clock,
    });
    renewer.start();
    expect(errors).to.deep.equal(['cannot write the kubeconfigs']);
    // The renewed certificate is a year from the real now: due again on the fake clock, and checked again.
    await clock.advance(HOUR_MS);
    expect(calls).to.equal(2);
    renewer.stop();
    await clock.advance(HOUR_MS);
    expect(calls, 'stopped').to.equal(2);
  });
});
