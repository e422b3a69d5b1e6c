import { expect } from 'chai';
import * as crypto from 'node:crypto';
import { makeCertificate } from '../../../lib/pki/x509';
import { userOfCertificate } from './x509-authenticator';

/** A certificate as TLS reports a peer's (getPeerCertificate()). */
function peer(pem: string) {
  return new crypto.X509Certificate(pem).toLegacyObject();
}

describe('x509 authenticator', () => {
  const ca = makeCertificate({ subject: { commonName: 'ca' }, usage: 'ca', validityDays: 10 });
  const client = makeCertificate({ subject: { commonName: 'jane', organization: 'devs' }, usage: 'client', validityDays: 1, issuer: ca });

  it('takes CN as the user and O as the groups of a client certificate', () => {
    expect(userOfCertificate(peer(client.cert))).to.deep.equal({ name: 'jane', groups: ['devs', 'system:authenticated'] });
    const serving = makeCertificate({ subject: { commonName: 'web' }, usage: 'server', validityDays: 1, issuer: ca });
    expect(userOfCertificate(peer(serving.cert)), 'a serving certificate is no client identity').to.equal(undefined);
  });

  it('stops authenticating a certificate once it has expired, on a connection opened while it was valid', () => {
    const notAfter = Date.parse(new crypto.X509Certificate(client.cert).validTo);
    expect(userOfCertificate(peer(client.cert), notAfter)?.name).to.equal('jane');
    expect(userOfCertificate(peer(client.cert), notAfter + 1000)).to.equal(undefined);
  });
});
