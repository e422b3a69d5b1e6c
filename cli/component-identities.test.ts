import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readKubeconfig } from '../lib/client/kubeconfig';
import { connectionTls, serviceConnection } from '../lib/client/kubeconfig-client';
import { renewCertificateFile } from '../lib/pki/cert-renewal';
import { ensureClusterCa } from '../lib/pki/cluster-ca';
import { commonNameOf } from '../lib/pki/component-certs';
import { componentKubeconfigPath, refreshKubeconfigClientCerts, writeComponentKubeconfigs } from './component-identities';

describe('component kubeconfigs after their client certificates are renewed', () => {
  let dir: string;
  let certDir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-identities-'));
    certDir = path.join(dir, 'pki');
    ensureClusterCa(certDir);
    writeComponentKubeconfigs({ dir, tokenFile: path.join(dir, 'tokens.csv'), grpcEndpoints: ['127.0.0.1:6444'], caCert: fs.readFileSync(path.join(certDir, 'ca.crt'), 'utf8'), nodeNames: ['node-1'], certDir });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('get the renewed certificate and key, keeping their token and cluster; the component following the file presents it', () => {
    const file = componentKubeconfigPath(dir, 'kubelet-node-1');
    const before = readKubeconfig(file);
    // The component reads its kubeconfig and follows it.
    const identity = connectionTls(serviceConnection(file))!.identity!;
    expect(identity.current().cert).to.equal(Buffer.from(before.users[0]!.user['client-certificate-data']!, 'base64').toString());

    renewCertificateFile(certDir, 'client-kubelet-node-1');
    expect(refreshKubeconfigClientCerts(dir, certDir)).to.deep.equal([file]);
    const after = readKubeconfig(file);
    const cert = fs.readFileSync(path.join(certDir, 'client-kubelet-node-1.crt'), 'utf8');
    expect(Buffer.from(after.users[0]!.user['client-certificate-data']!, 'base64').toString()).to.equal(cert);
    expect(Buffer.from(after.users[0]!.user['client-key-data']!, 'base64').toString()).to.equal(fs.readFileSync(path.join(certDir, 'client-kubelet-node-1.key'), 'utf8'));
    expect(commonNameOf(cert)).to.equal('system:node:node-1');
    expect(after.users[0]!.user.token).to.equal(before.users[0]!.user.token);
    expect(after.clusters).to.deep.equal(before.clusters);
    expect(identity.current().cert, 'read again on the next look').to.equal(cert);
    // Nothing more to do: the other kubeconfigs hold their current certificates already.
    expect(refreshKubeconfigClientCerts(dir, certDir)).to.deep.equal([]);
  });
});
