import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readKubeconfig, writeKubeconfig } from '../lib/client/kubeconfig';
import { readTokenEntries } from '../services/apiserver/http/bearer-auth';
import { ConfigError } from '../lib/config-error';
import { addNodeIdentity, componentKubeconfigPath, writeComponentKubeconfigs } from './component-identities';
import { identityMismatch } from './node-agent-command';
import { apiConnectionOf, DEFAULT_APISERVER_ENDPOINTS } from './component-flags';

describe('component identity flags (--kubeconfig, --apiserver)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-component-flags-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one kubeconfig per component and adds the missing tokens to an earlier cluster\'s token file', () => {
    const tokenFile = path.join(dir, 'tokens.csv');
    fs.writeFileSync(tokenFile, 'admintoken,admin\n'); // a cluster from before component identities
    const files = writeComponentKubeconfigs({ dir, tokenFile, grpcEndpoints: ['127.0.0.1:6444', '127.0.0.1:6454'], server: 'https://127.0.0.1:6443', caCert: 'PEM', nodeNames: ['node-1', 'node-2'] });
    expect([...files.keys()]).to.deep.equal(['kube-scheduler', 'kube-controller-manager', 'kube-proxy', 'coredns', 'bosun-ingress', 'kubelet-node-1', 'kubelet-node-2']);
    const entries = readTokenEntries(tokenFile);
    expect(entries.map((e) => e.user.name)).to.deep.equal(['admin', 'system:kube-scheduler', 'system:kube-controller-manager', 'system:kube-proxy', 'system:serviceaccount:kube-system:coredns', 'system:bosun-ingress', 'system:node:node-1', 'system:node:node-2']);
    expect(entries[6]!.user.groups).to.include('system:nodes');
    expect(entries[0]!.user.groups, 'the old admin token joins system:masters (RBAC)').to.deep.equal(['system:masters']);
    expect(new Set(entries.map((e) => e.token)).size, 'every identity has its own token').to.equal(entries.length);
    const node2 = readKubeconfig(componentKubeconfigPath(dir, 'kubelet-node-2'));
    expect(node2.users).to.deep.equal([{ name: 'system:node:node-2', user: { token: entries[7]!.token } }]);
    expect(identityMismatch(componentKubeconfigPath(dir, 'kubelet-node-2'), 'node-2')).to.equal(undefined);
    expect(identityMismatch(componentKubeconfigPath(dir, 'kubelet-node-2'), 'node-1')).to.include('not this node\'s identity "system:node:node-1"');
    // A node joining later gets its own identity beside the others'.
    addNodeIdentity(dir, tokenFile, 'node-3');
    const node3 = readKubeconfig(componentKubeconfigPath(dir, 'kubelet-node-3'));
    expect(node3.clusters).to.deep.equal(node2.clusters);
    expect(readTokenEntries(tokenFile).map((e) => e.user.name)).to.include('system:node:node-3');
    const scheduler = readKubeconfig(componentKubeconfigPath(dir, 'kube-scheduler'));
    expect(scheduler.users).to.deep.equal([{ name: 'system:kube-scheduler', user: { token: entries[1]!.token } }]);
    expect(scheduler.contexts[0]!.context.user).to.equal('system:kube-scheduler');
    // A second start keeps every token.
    const before = readTokenEntries(tokenFile);
    writeComponentKubeconfigs({ dir, tokenFile, grpcEndpoints: ['127.0.0.1:6444'], nodeNames: ['node-1'] });
    expect(readTokenEntries(tokenFile)).to.deep.equal(before);
  });

  it('takes endpoints and token from the kubeconfig; an explicit --apiserver overrides only the endpoints', () => {
    const tokenFile = path.join(dir, 'tokens.csv');
    writeComponentKubeconfigs({ dir, tokenFile, grpcEndpoints: ['127.0.0.1:6444'] });
    const kubeconfig = componentKubeconfigPath(dir, 'kube-controller-manager');
    const token = readTokenEntries(tokenFile).find((e) => e.user.name === 'system:kube-controller-manager')!.token;
    expect(apiConnectionOf({ kubeconfig })).to.deep.equal({ endpoints: ['127.0.0.1:6444'], token });
    expect(apiConnectionOf({ kubeconfig, apiserver: '10.0.0.1:7000,10.0.0.2:7000' })).to.deep.equal({ endpoints: ['10.0.0.1:7000', '10.0.0.2:7000'], token });
    expect(apiConnectionOf({})).to.deep.equal({ endpoints: [DEFAULT_APISERVER_ENDPOINTS] });
    expect(apiConnectionOf({ apiserver: 'a:1' })).to.deep.equal({ endpoints: ['a:1'] });
  });

  it('reads a grpc:// server when the kubeconfig has no bosun.dev/grpc extension', () => {
    const file = path.join(dir, 'grpc-only');
    fs.writeFileSync(
      file,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "grpc://apiserver-1:6444"}}]\nusers: [{name: u, user: {token: t0k}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    expect(apiConnectionOf({ kubeconfig: file })).to.deep.equal({ endpoints: ['apiserver-1:6444'], token: 't0k' });
  });

  it('turns a missing, unparsable or server-less kubeconfig into a ConfigError naming the file', () => {
    const missing = path.join(dir, 'missing.kubeconfig');
    expect(() => apiConnectionOf({ kubeconfig: missing })).to.throw(ConfigError, `--kubeconfig: error loading config file "${missing}": no such file`);
    const garbage = path.join(dir, 'garbage');
    fs.writeFileSync(garbage, 'clusters: [unclosed\n');
    expect(() => apiConnectionOf({ kubeconfig: garbage })).to.throw(ConfigError, `error loading config file "${garbage}"`);
    const httpsOnly = path.join(dir, 'https-only');
    writeKubeconfig(httpsOnly, { clusterName: 'c', server: 'https://127.0.0.1:6443', token: 't', grpcEndpoints: [] });
    // writeKubeconfig always records the extension: drop it to model a plain kubectl kubeconfig.
    fs.writeFileSync(httpsOnly, fs.readFileSync(httpsOnly, 'utf8').replace(/\n\s*extensions:[\s\S]*?endpoints: \[\]\n/, '\n'));
    expect(() => apiConnectionOf({ kubeconfig: httpsOnly })).to.throw(ConfigError, new RegExp(`cluster "c" in "${httpsOnly}" has no bosun.dev/grpc endpoints and no grpc:// server`));
    const noContext = path.join(dir, 'no-context');
    fs.writeFileSync(noContext, 'apiVersion: v1\nkind: Config\n');
    expect(() => apiConnectionOf({ kubeconfig: noContext })).to.throw(ConfigError, `no current context is set in "${noContext}"`);
  });
});
