import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { makeCertificate } from './x509';

describe('lib/pki/x509', () => {
  const ca = makeCertificate({ subject: { commonName: 'test-ca' }, usage: 'ca', validityDays: 10 });

  it('makes a self-signed P-256 CA', () => {
    const cert = new crypto.X509Certificate(ca.cert);
    expect(cert.ca).to.equal(true);
    expect(cert.subject).to.equal('CN=test-ca');
    expect(cert.checkIssued(cert)).to.equal(true);
    expect(cert.verify(cert.publicKey)).to.equal(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).to.equal('prime256v1');
    expect(ca.key).to.match(/^-----BEGIN EC PRIVATE KEY-----/);
    expect(cert.checkPrivateKey(crypto.createPrivateKey(ca.key))).to.equal(true);
  });

  it('issues a leaf that verifies against the CA, with its SANs, subject and validity', () => {
    const leaf = makeCertificate({
      subject: { commonName: 'system:node:n1', organization: 'system:nodes' }, usage: 'server', validityDays: 3,
      hosts: ['n1', '10.1.2.3', '::1'], issuer: ca,
    });
    const cert = new crypto.X509Certificate(leaf.cert);
    const caCert = new crypto.X509Certificate(ca.cert);
    expect(cert.ca).to.equal(false);
    expect(cert.checkIssued(caCert)).to.equal(true);
    expect(cert.verify(caCert.publicKey)).to.equal(true);
    expect(cert.subject).to.equal('O=system:nodes\nCN=system:node:n1');
    expect(cert.subjectAltName).to.equal('DNS:n1, IP Address:10.1.2.3, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.1']);
    const lifetimeDays = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    expect(lifetimeDays).to.be.within(3, 3.01);
    expect(Date.parse(cert.validFrom)).to.be.below(Date.now());
  });

  it('a real TLS client that trusts only the CA accepts the server certificate and the client certificate', async () => {
    const server = makeCertificate({ subject: { commonName: 'srv' }, usage: 'server', validityDays: 1, hosts: ['localhost'], issuer: ca });
    const client = makeCertificate({ subject: { commonName: 'cli', organization: 'system:masters' }, usage: 'client', validityDays: 1, issuer: ca });
    const srv = tls.createServer({ cert: server.cert, key: server.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (s) => {
      s.end(`hello ${(s.getPeerCertificate().subject as { CN?: string }).CN}`);
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', servername: 'localhost', port: (srv.address() as AddressInfo).port, ca: ca.cert, cert: client.cert, key: client.key });
        let data = '';
        c.on('data', (d: Buffer) => (data += d.toString()));
        c.on('end', () => resolve(data));
        c.on('error', reject);
      });
      expect(answer).to.equal('hello cli');
    } finally {
      srv.close();
    }
  });

  it('refuses a non-positive validity', () => {
    expect(() => makeCertificate({ subject: { commonName: 'x' }, usage: 'ca', validityDays: 0 })).to.throw('validityDays must be positive');
  });
});
