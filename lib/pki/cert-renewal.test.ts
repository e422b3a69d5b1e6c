import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../config-error';
import { CERT_VALIDITY_ENV, certValiditySeconds, DEFAULT_CERT_VALIDITY_SECONDS, needsRenewal, renewalCheckIntervalMs, renewalTimeMs, renewDueCertificates, RENEW_BEFORE_MS } from './cert-renewal';
import { ensureComponentCert } from './component-certs';
import { makeCertificate } from './x509';

const MS_PER_DAY = 24 * 3600 * 1000;

/** A leaf valid for `validityDays` from now. */
function leaf(validityDays: number): crypto.X509Certificate {
  return new crypto.X509Certificate(makeCertificate({ subject: { commonName: 'x' }, usage: 'server', validityDays }).cert);
}

describe('lib/pki/cert-renewal: when a certificate is issued again', () => {
  it('renews a year-long certificate 30 days before it expires, a short-lived one once a third of it is left', () => {
    const year = leaf(365);
    const yearEnd = Date.parse(year.validTo);
    expect(renewalTimeMs(year)).to.equal(yearEnd - RENEW_BEFORE_MS);
    expect(needsRenewal(year, yearEnd - RENEW_BEFORE_MS - 1000)).to.equal(false);
    expect(needsRenewal(year, yearEnd - RENEW_BEFORE_MS + 1000)).to.equal(true);
    // 90 s: renewed 30 s before notAfter (the 5 min backdating of notBefore is not lifetime).
    const short = leaf(90 / 86400);
    const shortEnd = Date.parse(short.validTo);
    expect(renewalTimeMs(short)).to.be.within(shortEnd - 31_000, shortEnd - 29_000);
    expect(needsRenewal(short, Date.now())).to.equal(false);
    expect(needsRenewal(short, shortEnd - 10_000)).to.equal(true);
  });

  it('takes the validity from BOSUN_CERT_VALIDITY_SECONDS, refusing a bad value by name', () => {
    expect(certValiditySeconds({})).to.equal(DEFAULT_CERT_VALIDITY_SECONDS);
    expect(certValiditySeconds({ [CERT_VALIDITY_ENV]: '90' })).to.equal(90);
    for (const bad of ['10', '1.5', 'ninety', '-90']) {
      expect(() => certValiditySeconds({ [CERT_VALIDITY_ENV]: bad }), bad).to.throw(ConfigError, new RegExp(`^${CERT_VALIDITY_ENV}: "${bad.replace('.', '\\.')}" is not a whole number`));
    }
    // The issuer checks often enough to renew a short-lived certificate in its last third, at most once a minute.
    expect(renewalCheckIntervalMs(90)).to.equal(9_000);
    expect(renewalCheckIntervalMs(DEFAULT_CERT_VALIDITY_SECONDS)).to.equal(60_000);
  });

  describe('renewDueCertificates', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-renewal-'));
      const ca = makeCertificate({ subject: { commonName: 'test-ca' }, usage: 'ca', validityDays: 10 });
      fs.writeFileSync(path.join(dir, 'ca.crt'), ca.cert);
      fs.writeFileSync(path.join(dir, 'ca.key'), ca.key);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('issues a due certificate again with the same subject, hosts and usage, leaving the others alone', () => {
      ensureComponentCert(dir, { name: 'node-a-serving', commonName: 'system:node:a', organization: 'system:nodes', usage: 'server', hosts: ['127.0.0.1', 'a', '::1'] });
      ensureComponentCert(dir, { name: 'store-m1', commonName: 'm1', usage: 'peer', hosts: ['localhost'] });
      ensureComponentCert(dir, { name: 'client-x', commonName: 'x', usage: 'client' });
      // Signed by another CA: not this issuer's to renew.
      const foreign = makeCertificate({ subject: { commonName: 'f' }, usage: 'client', validityDays: 1 });
      fs.writeFileSync(path.join(dir, 'foreign.crt'), foreign.cert);
      fs.writeFileSync(path.join(dir, 'foreign.key'), foreign.key);
      const read = (name: string) => new crypto.X509Certificate(fs.readFileSync(path.join(dir, `${name}.crt`)));
      const before = ['node-a-serving', 'store-m1', 'client-x'].map(read);

      expect(renewDueCertificates(dir, Date.now())).to.deep.equal({ renewed: [], failed: [] });
      // A year on, everything of this CA is due.
      const outcome = renewDueCertificates(dir, Date.now() + 365 * MS_PER_DAY);
      expect(outcome).to.deep.equal({ renewed: ['client-x', 'node-a-serving', 'store-m1'], failed: [] });
      const ca = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'ca.crt')));
      for (const [i, name] of ['node-a-serving', 'store-m1', 'client-x'].entries()) {
        const after = read(name);
        expect(after.serialNumber, name).to.not.equal(before[i]!.serialNumber);
        expect(after.subject, name).to.equal(before[i]!.subject);
        expect(after.subjectAltName, name).to.equal(before[i]!.subjectAltName);
        expect(after.keyUsage, name).to.deep.equal(before[i]!.keyUsage);
        expect(after.checkIssued(ca) && after.verify(ca.publicKey), name).to.equal(true);
        expect(after.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(path.join(dir, `${name}.key`)))), `${name}: its new key`).to.equal(true);
      }
      expect(fs.readFileSync(path.join(dir, 'foreign.crt'), 'utf8')).to.equal(foreign.cert);
    });

    it('reports a certificate it cannot renew and goes on with the others, leaving an intermediate CA alone', () => {
      ensureComponentCert(dir, { name: 'client-x', commonName: 'x', usage: 'client' });
      // A CA the directory's CA signed: not a leaf, so not renewed here.
      const issuer = { cert: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'), key: fs.readFileSync(path.join(dir, 'ca.key'), 'utf8') };
      const sub = makeCertificate({ subject: { commonName: 'sub-ca' }, usage: 'ca', validityDays: 1, issuer });
      fs.writeFileSync(path.join(dir, 'sub.crt'), sub.cert);
      fs.writeFileSync(path.join(dir, 'sub.key'), sub.key);
      fs.writeFileSync(path.join(dir, 'broken.crt'), 'not a certificate');
      fs.writeFileSync(path.join(dir, 'broken.key'), 'no key');
      const outcome = renewDueCertificates(dir, Date.now() + 365 * MS_PER_DAY);
      expect(outcome.renewed).to.deep.equal(['client-x']);
      expect(outcome.failed.map((f) => f.name)).to.deep.equal(['broken']);
      expect(fs.readFileSync(path.join(dir, 'sub.crt'), 'utf8')).to.equal(sub.cert);
    });

    it('finds nothing to do in a directory without a CA', () => {
      expect(renewDueCertificates(path.join(dir, 'missing'))).to.deep.equal({ renewed: [], failed: [] });
    });
  });
});
