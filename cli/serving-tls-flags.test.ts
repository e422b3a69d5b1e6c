import { expect } from 'chai';
import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../lib/config-error';
import { statusServingFlags } from '../lib/launcher/component-args';
import { BOSUN_BIN } from '../lib/launcher/local-process';
import { componentEnv, servingTlsOf, servingTlsOptions } from './component-flags';
import { COMPONENT_COMMANDS } from './main';
import { kubeconfigsCommand } from './kubeconfigs-command';
import { commonNameOf } from '../lib/pki/component-certs';
import { makeCertificate, type KeyPair } from '../lib/pki/x509';
import { dnsCommand } from './dns-command';
import { ingressCommand } from './ingress-command';
import { nodeAgentCommand } from './node-agent-command';
import { proxyCommand } from './proxy-command';
import { schedulerCommand } from './scheduler-command';

/** Every component command with a gRPC status API, by its name in componentEnv. */
const COMPONENTS_WITH_STATUS_API: readonly [string, () => Command][] = [
  ['scheduler', schedulerCommand],
  ['node-agent', () => nodeAgentCommand()],
  ['proxy', proxyCommand],
  ['dns', dnsCommand],
  ['ingress', ingressCommand],
];

/** Components with a gRPC server and TLS rules of their own (store: etcd's flags; apiserver: --cert-dir). */
const OWN_TLS_RULES: ReadonlySet<string> = new Set(['store', 'apiserver']);

const LISTEN = '127.0.0.1:10259';
const REQUIRED = /^--tls-cert-file, --tls-private-key-file: required .*--insecure/;

describe('status API TLS flags: plain text only behind an explicit --insecure', () => {
  let dir: string;
  let cert: string;
  let key: string;
  let pair: KeyPair;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-serving-tls-'));
    cert = path.join(dir, 'serving.crt');
    key = path.join(dir, 'serving.key');
    pair = makeCertificate({ subject: { commonName: 'scheduler' }, usage: 'server', validityDays: 1 });
    fs.writeFileSync(cert, pair.cert);
    fs.writeFileSync(key, pair.key);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The parsed options of a command with only the serving-TLS flags of `component`. */
  function parse(argv: string[], env: NodeJS.ProcessEnv = {}, component = 'scheduler'): Record<string, unknown> {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const command = new Command('x').exitOverride();
      for (const o of servingTlsOptions(component)) command.addOption(o);
      return command.parse(argv, { from: 'user' }).opts();
    } finally {
      for (const name of Object.keys(env)) if (saved[name] === undefined) delete process.env[name];
      Object.assign(process.env, saved);
    }
  }

  it('serves TLS with both files, plain text with --insecure (bare or "true"), nothing without a gRPC listener', () => {
    const tls = servingTlsOf(parse(['--tls-cert-file', cert, '--tls-private-key-file', key]), LISTEN);
    expect({ cert: tls?.cert, key: tls?.key }).to.deep.equal(pair);
    expect(tls?.identity?.current(), 'the files are followed for renewals').to.deep.equal(pair);
    expect(servingTlsOf(parse(['--insecure']), LISTEN)).to.equal(undefined);
    expect(servingTlsOf(parse(['--insecure', 'true']), LISTEN)).to.equal(undefined);
    expect(servingTlsOf(parse([]), ''), '--grpc-listen "" needs neither').to.equal(undefined);
  });

  it('refuses to start without certificates or --insecure, and refuses both together, naming the flags', () => {
    const bad: [string[], RegExp][] = [
      [[], REQUIRED],
      [['--insecure', 'false'], REQUIRED],
      [['--insecure', '--tls-cert-file', cert, '--tls-private-key-file', key], /^--insecure: cannot be combined with --tls-cert-file/],
      [['--insecure', '--tls-private-key-file', key], /^--insecure: cannot be combined with --tls-private-key-file/],
      [['--insecure', 'yes'], /^--insecure: "yes" must be "true" or "false"/],
      [['--tls-cert-file', cert], /^--tls-cert-file: needs --tls-private-key-file/],
      [['--tls-private-key-file', key], /^--tls-private-key-file: needs --tls-cert-file/],
      [['--tls-cert-file', path.join(dir, 'missing.crt'), '--tls-private-key-file', key], /^--tls-cert-file: cannot read/],
      [['--tls-cert-file', key, '--tls-private-key-file', key], /^--tls-private-key-file: ".*serving\.key" does not fit --tls-cert-file/],
    ];
    for (const [argv, message] of bad) {
      expect(() => servingTlsOf(parse(argv), LISTEN), argv.join(' ')).to.throw(ConfigError, message);
    }
  });

  it('takes the flags from the environment too (BOSUN_<COMPONENT>_INSECURE, _TLS_CERT_FILE, _TLS_PRIVATE_KEY_FILE)', () => {
    expect(componentEnv('node-agent', 'insecure')).to.equal('BOSUN_NODE_AGENT_INSECURE');
    expect(servingTlsOf(parse([], { BOSUN_NODE_AGENT_INSECURE: 'true' }, 'node-agent'), LISTEN)).to.equal(undefined);
    const fromEnv = parse([], { BOSUN_PROXY_TLS_CERT_FILE: cert, BOSUN_PROXY_TLS_PRIVATE_KEY_FILE: key }, 'proxy');
    expect(servingTlsOf(fromEnv, LISTEN)?.cert).to.equal(pair.cert);
    expect(() => servingTlsOf(parse([], { BOSUN_DNS_INSECURE: 'true', BOSUN_DNS_TLS_CERT_FILE: cert }, 'dns'), LISTEN)).to.throw(ConfigError, /^--insecure: cannot be combined/);
  });

  it('launchers pass the certificate, else an explicit --insecure', () => {
    expect(statusServingFlags({ certFile: cert, keyFile: key, caCert: 'CA' })).to.deep.equal(['--tls-cert-file', cert, '--tls-private-key-file', key]);
    expect(statusServingFlags(undefined)).to.deep.equal(['--insecure']);
  });

  it('bosun kubeconfigs --serving-certs issues each named component a certificate of the cluster CA (needs --cert-dir)', async () => {
    const kubeconfigs = (args: string[]) => kubeconfigsCommand().exitOverride().parseAsync(['--dir', path.join(dir, 'identity'), '--apiserver', '127.0.0.1:6444', ...args], { from: 'user' });
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write; // its listing of the files
    try {
      const pki = path.join(dir, 'identity', 'pki');
      await kubeconfigs(['--cert-dir', pki, '--serving-certs', 'scheduler-1,dns']);
      const files = { tlsCertFile: path.join(pki, 'serving-scheduler-1.crt'), tlsPrivateKeyFile: path.join(pki, 'serving-scheduler-1.key') };
      expect(commonNameOf(servingTlsOf(files, LISTEN)!.cert)).to.equal('scheduler-1');
      expect(fs.existsSync(path.join(pki, 'serving-dns.key'))).to.equal(true);
      const err = await kubeconfigs(['--serving-certs', 'dns']).then(() => undefined, (e: unknown) => e);
      expect((err as Error).message).to.match(/^--serving-certs: needs --cert-dir/);
    } finally {
      process.stdout.write = write;
    }
  });

  it('a real `bosun scheduler` with neither exits 2 naming the flags; BOSUN_SCHEDULER_INSECURE with a certificate too', () => {
    const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [BOSUN_BIN, 'scheduler', '--metrics-address', ''], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
    const bare = run({});
    expect(bare.status, bare.stderr).to.equal(2);
    expect(bare.stderr).to.include('--tls-cert-file, --tls-private-key-file: required');
    const both = run({ BOSUN_SCHEDULER_INSECURE: 'true', BOSUN_SCHEDULER_TLS_CERT_FILE: cert });
    expect(both.status, both.stderr).to.equal(2);
    expect(both.stderr).to.include('--insecure: cannot be combined with --tls-cert-file');
  });

  it('covers every component command with a gRPC server (--grpc-listen)', async () => {
    const withGrpc: string[] = [];
    for (const [name, load] of COMPONENT_COMMANDS) {
      if ((await load()).options.some((o) => o.long === '--grpc-listen') && !OWN_TLS_RULES.has(name)) withGrpc.push(name);
    }
    expect(withGrpc.sort()).to.deep.equal(COMPONENTS_WITH_STATUS_API.map(([name]) => name).sort());
  });

  for (const [name, make] of COMPONENTS_WITH_STATUS_API) {
    it(`bosun ${name}: has the flags, and without certificates or --insecure fails with a ConfigError before starting anything`, async () => {
      const command = make().exitOverride();
      const flags = command.options.map((o) => [o.long, o.envVar]);
      for (const flag of ['tls-cert-file', 'tls-private-key-file', 'insecure']) expect(flags, flag).to.deep.include([`--${flag}`, componentEnv(name, flag)]);
      const argv = ['--grpc-listen', '127.0.0.1:0', '--metrics-address', '', '--log-level', 'error', ...(name === 'proxy' ? ['--mode', 'userspace', '--healthz-bind-address', ''] : [])];
      const err = await command.parseAsync(argv, { from: 'user' }).then(() => undefined, (e: unknown) => e);
      expect(err, name).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(REQUIRED);
    });
  }
});
