import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../lib/config-error';
import { makeCertificate } from '../lib/pki/x509';
import type { MemberConfig } from '../store/server/member-config';
import { clientTlsFromFlags } from '../store/client/client-tls-files';
import { kubeconfigsCommand } from './kubeconfigs-command';
import { memberConfigFromFlags, storeCommand } from './store-command';

/** Parses `bosun store ARGS` into a MemberConfig, as the command does before it starts anything. */
async function parseStore(args: string[]): Promise<MemberConfig> {
  let cfg: MemberConfig | undefined;
  const cmd = storeCommand().exitOverride();
  cmd.action((o: Record<string, string>) => {
    cfg = memberConfigFromFlags(o);
  });
  await cmd.parseAsync(args, { from: 'user' });
  return cfg!;
}

describe('bosun store TLS flags', () => {
  let dir: string;
  let files: { ca: string; crt: string; key: string; otherKey: string };
  /** Every TLS file flag, pointing at a working certificate signed by the CA. */
  let tlsArgs: string[];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-tls-flags-'));
    const ca = makeCertificate({ subject: { commonName: 'test-ca' }, usage: 'ca', validityDays: 1 });
    const member = makeCertificate({ subject: { commonName: 's1' }, usage: 'peer', hosts: ['127.0.0.1'], validityDays: 1, issuer: ca });
    const other = makeCertificate({ subject: { commonName: 'other' }, usage: 'client', validityDays: 1, issuer: ca });
    files = { ca: path.join(dir, 'ca.crt'), crt: path.join(dir, 's1.crt'), key: path.join(dir, 's1.key'), otherKey: path.join(dir, 'other.key') };
    fs.writeFileSync(files.ca, ca.cert);
    fs.writeFileSync(files.crt, member.cert);
    fs.writeFileSync(files.key, member.key);
    fs.writeFileSync(files.otherKey, other.key);
    tlsArgs = [
      '--cert-file', files.crt, '--key-file', files.key, '--trusted-ca-file', files.ca,
      '--peer-cert-file', files.crt, '--peer-key-file', files.key, '--peer-trusted-ca-file', files.ca,
    ];
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves mutual TLS on https:// URLs by default once the files are given', async () => {
    const cfg = await parseStore(['--name', 's1', ...tlsArgs]);
    expect(cfg.listenClientUrls).to.deep.equal(['https://127.0.0.1:2379']);
    expect(cfg.initialCluster).to.deep.equal([{ name: 's1', peerUrls: ['https://127.0.0.1:2380'] }]);
    expect(cfg.clientTls?.clientCertAuth).to.equal(true);
    expect(cfg.peerTls?.clientCertAuth).to.equal(true);
    expect((await parseStore([...tlsArgs, '--client-cert-auth', 'false'])).clientTls?.clientCertAuth).to.equal(false);
  });

  it('serves plain text on http:// only with an explicit --insecure', async () => {
    const cfg = await parseStore(['--insecure']);
    expect(cfg.clientTls).to.equal(undefined);
    expect(cfg.peerTls).to.equal(undefined);
    expect(cfg.listenPeerUrls).to.deep.equal(['http://127.0.0.1:2380']);
    await expectConfigError(parseStore([]), '--cert-file: required for TLS (or run with --insecure for plain text)');
    // compose.yaml sets it through the environment.
    process.env.BOSUN_STORE_INSECURE = 'true';
    try {
      expect((await parseStore([])).listenClientUrls).to.deep.equal(['http://127.0.0.1:2379']);
    } finally {
      delete process.env.BOSUN_STORE_INSECURE;
    }
    await expectConfigError(parseStore(['--insecure', '--peer-key-file', files.key]), '--insecure: cannot be combined with --peer-key-file');
  });

  it('names the flag and the path of a missing, unreadable or unfitting file', async () => {
    const missing = path.join(dir, 'nope.crt');
    await expectConfigError(parseStore(tlsArgs.map((a) => (a === files.ca ? missing : a))), `--trusted-ca-file: cannot read "${missing}": ENOENT`);
    await expectConfigError(parseStore([...tlsArgs, '--peer-cert-file', files.key]), `--peer-cert-file: "${files.key}" holds no PEM certificate`);
    await expectConfigError(parseStore([...tlsArgs, '--key-file', files.otherKey]), `--key-file: "${files.otherKey}" does not fit --cert-file "${files.crt}"`);
    await expectConfigError(parseStore(tlsArgs.filter((a, i) => a !== '--peer-trusted-ca-file' && tlsArgs[i - 1] !== '--peer-trusted-ca-file')), '--peer-trusted-ca-file: required for TLS');
  });

  it('wants URLs whose scheme matches the port: https:// with TLS, http:// with --insecure', async () => {
    await expectConfigError(parseStore([...tlsArgs, '--listen-client-urls', 'http://127.0.0.1:2379']), '--listen-client-urls: "http://127.0.0.1:2379" must use https://');
    await expectConfigError(parseStore(['--insecure', '--initial-advertise-peer-urls', 'https://127.0.0.1:2380', '--listen-peer-urls', 'https://127.0.0.1:2380']), '--listen-peer-urls: "https://127.0.0.1:2380" must use http://');
    await expectConfigError(parseStore([...tlsArgs, '--client-cert-auth', 'maybe']), '--client-cert-auth: "maybe" must be "true" or "false"');
  });

  it('a store client (the apiserver\'s --etcd-* flags) takes a CA, and a certificate only with its key', () => {
    const flags = (ca?: string, cert?: string, key?: string) => ({ ca: { flag: 'etcd-cafile', file: ca }, cert: { flag: 'etcd-certfile', file: cert }, key: { flag: 'etcd-keyfile', file: key } });
    expect(clientTlsFromFlags(flags())).to.equal(undefined);
    const tls = clientTlsFromFlags(flags(files.ca, files.crt, files.key))!;
    expect(tls.ca.toString()).to.contain('BEGIN CERTIFICATE');
    expect(tls.key!.toString()).to.contain('PRIVATE KEY');
    expect(() => clientTlsFromFlags(flags(files.ca, files.crt))).to.throw(ConfigError, '--etcd-keyfile: required with --etcd-certfile');
    expect(() => clientTlsFromFlags(flags(undefined, files.crt, files.key))).to.throw(ConfigError, '--etcd-cafile: required with --etcd-certfile');
    expect(() => clientTlsFromFlags(flags(path.join(dir, 'x.crt')))).to.throw(ConfigError, `--etcd-cafile: cannot read "${path.join(dir, 'x.crt')}"`);
  });

  it('bosun kubeconfigs --store-members makes the store\'s own CA, a certificate per member naming its host and the apiservers\' client certificate, which `bosun store` and --etcd-* take', async () => {
    const pki = path.join(dir, 'identity', 'pki');
    const hostCopy = path.join(dir, 'host-store');
    const kubeconfigs = (args: string[]) => kubeconfigsCommand().exitOverride().parseAsync(['--dir', path.join(dir, 'identity'), '--apiserver', 'apiserver:6444', ...args], { from: 'user' });
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write; // its listing of the files
    try {
      await kubeconfigs(['--cert-dir', pki, '--store-members', 'store-1,store-2', '--store-client-dir', hostCopy]);
      await expectConfigError(kubeconfigs(['--store-members', 'store-1']), '--store-members: needs --cert-dir');
      await expectConfigError(kubeconfigs(['--cert-dir', pki, '--store-client-dir', hostCopy]), '--store-client-dir: needs --store-members');
      await expectConfigError(kubeconfigs(['--cert-dir', pki, '--store-members', 'store-1,Store_2']), '--store-members: "Store_2" is not a valid name');
    } finally {
      process.stdout.write = write;
    }
    const store = path.join(pki, 'store');
    const member = new crypto.X509Certificate(fs.readFileSync(path.join(store, 'store-store-2.crt')));
    expect(member.subjectAltName).to.contain('DNS:store-2');
    expect(member.checkIssued(new crypto.X509Certificate(fs.readFileSync(path.join(store, 'ca.crt'))))).to.equal(true);
    // The store's CA is its own, not the cluster's.
    expect(fs.readFileSync(path.join(store, 'ca.crt'), 'utf8')).to.not.equal(fs.readFileSync(path.join(pki, 'ca.crt'), 'utf8'));
    const f = (name: string) => path.join(store, name);
    const cfg = await parseStore(['--name', 'store-2', '--cert-file', f('store-store-2.crt'), '--key-file', f('store-store-2.key'), '--trusted-ca-file', f('ca.crt'), '--peer-cert-file', f('store-store-2.crt'), '--peer-key-file', f('store-store-2.key'), '--peer-trusted-ca-file', f('ca.crt')]);
    expect(cfg.clientTls?.clientCertAuth).to.equal(true);
    const client = { ca: { flag: 'etcd-cafile', file: path.join(hostCopy, 'ca.crt') }, cert: { flag: 'etcd-certfile', file: path.join(hostCopy, 'apiserver-etcd-client.crt') }, key: { flag: 'etcd-keyfile', file: path.join(hostCopy, 'apiserver-etcd-client.key') } };
    expect(clientTlsFromFlags(client)!.cert!.equals(fs.readFileSync(f('apiserver-etcd-client.crt')))).to.equal(true);
  });
});

async function expectConfigError(p: Promise<unknown>, message: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, `expected a ConfigError "${message}"`).to.be.instanceOf(ConfigError);
  expect((err as Error).message).to.contain(message);
}
