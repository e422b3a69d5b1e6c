import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  GRPC_EXTENSION_NAME,
  KubeconfigError,
  NO_CLUSTER_MESSAGE,
  parseKubeconfig,
  parseServerFlag,
  readKubeconfig,
  resolveConnection,
  resolveKubeconfigPath,
  writeKubeconfig,
} from './kubeconfig';

describe('kubeconfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-kubeconfig-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a kubectl-readable file and reads it back (round trip)', () => {
    const file = path.join(dir, 'sub', 'kubeconfig');
    writeKubeconfig(file, { clusterName: 'bosun-local', server: 'https://127.0.0.1:6443', caData: 'Q0E=', token: 'tok', grpcEndpoints: ['127.0.0.1:6444', '127.0.0.1:6445'] });
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).to.include('current-context: bosun-local');
    expect(text).to.include('certificate-authority-data: Q0E=');
    expect(text).to.include(`- name: ${GRPC_EXTENSION_NAME}`);
    const cfg = readKubeconfig(file);
    expect(cfg.clusters[0]).to.deep.equal({
      name: 'bosun-local',
      cluster: {
        server: 'https://127.0.0.1:6443',
        'certificate-authority-data': 'Q0E=',
        extensions: [{ name: GRPC_EXTENSION_NAME, extension: { endpoints: ['127.0.0.1:6444', '127.0.0.1:6445'] } }],
      },
    });
    expect(cfg.users).to.deep.equal([{ name: 'bosun-local', user: { token: 'tok' } }]);
    const conn = resolveConnection({ kubeconfig: file, env: {}, cwd: dir });
    expect(conn).to.deep.include({ endpoints: ['127.0.0.1:6444', '127.0.0.1:6445'], contextName: 'bosun-local', server: 'https://127.0.0.1:6443', token: 'tok', caData: 'Q0E=' });
    expect(conn.namespace).to.equal(undefined);
  });

  it('resolves --kubeconfig > BOSUN_KUBECONFIG > KUBECONFIG (first file) > ./.data/local/kubeconfig > ~/.kube/config', () => {
    const local = path.join(dir, '.data', 'local', 'kubeconfig');
    const home = path.join(dir, 'home');
    const homeFile = path.join(home, '.kube', 'config');
    const existing = new Set([local, homeFile]);
    const exists = (f: string): boolean => existing.has(f);
    const base = { cwd: dir, home, exists };
    const env = { BOSUN_KUBECONFIG: '/b', KUBECONFIG: `/k1${path.delimiter}/k2` };
    expect(resolveKubeconfigPath({ ...base, kubeconfig: 'flag.yaml', env })).to.deep.equal({ file: path.join(dir, 'flag.yaml'), source: '--kubeconfig' });
    expect(resolveKubeconfigPath({ ...base, env })).to.deep.equal({ file: '/b', source: 'BOSUN_KUBECONFIG' });
    expect(resolveKubeconfigPath({ ...base, env: { KUBECONFIG: env.KUBECONFIG } })).to.deep.equal({ file: '/k1', source: 'KUBECONFIG' });
    expect(resolveKubeconfigPath({ ...base, env: {} })).to.deep.equal({ file: local, source: 'local' });
    existing.delete(local);
    expect(resolveKubeconfigPath({ ...base, env: {} })).to.deep.equal({ file: homeFile, source: 'home' });
    existing.delete(homeFile);
    expect(resolveKubeconfigPath({ ...base, env: {} })).to.equal(undefined);
  });

  it('--server overrides the endpoints; without any config it is enough; with nothing it is the clear error', () => {
    const file = path.join(dir, 'kc');
    writeKubeconfig(file, { clusterName: 'c', grpcEndpoints: ['10.0.0.1:6444'], namespace: 'team' });
    const conn = resolveConnection({ kubeconfig: file, server: 'a:1,b:2', env: {}, cwd: dir });
    expect(conn.endpoints).to.deep.equal(['a:1', 'b:2']);
    expect(conn.namespace).to.equal('team');
    const none = { env: {}, cwd: dir, home: dir, exists: () => false };
    expect(resolveConnection({ ...none, server: 'h:7' }).endpoints).to.deep.equal(['h:7']);
    expect(() => resolveConnection(none)).to.throw(KubeconfigError, NO_CLUSTER_MESSAGE);
    expect(() => parseServerFlag('nohost')).to.throw(KubeconfigError, 'invalid --server "nohost": "nohost" is not host:port');
  });

  it('--context picks another context; unknown contexts and bad YAML are clear errors', () => {
    const file = path.join(dir, 'kc');
    fs.writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: a',
        '  cluster:',
        '    extensions:',
        `    - name: ${GRPC_EXTENSION_NAME}`,
        '      extension: {endpoints: ["a:1"]}',
        '- name: b',
        '  cluster:',
        '    extensions:',
        `    - name: ${GRPC_EXTENSION_NAME}`,
        '      extension: {endpoints: ["b:1"]}',
        'contexts:',
        '- {name: ctx-a, context: {cluster: a}}',
        '- {name: ctx-b, context: {cluster: b, namespace: nb}}',
        'current-context: ctx-a',
        'users: []',
      ].join('\n'),
    );
    expect(resolveConnection({ kubeconfig: file, env: {} }).endpoints).to.deep.equal(['a:1']);
    expect(resolveConnection({ kubeconfig: file, context: 'ctx-b', env: {} })).to.deep.include({ endpoints: ['b:1'], namespace: 'nb' });
    expect(() => resolveConnection({ kubeconfig: file, context: 'nope', env: {} })).to.throw(`context "nope" does not exist in "${file}"`);
    expect(() => resolveConnection({ kubeconfig: path.join(dir, 'missing'), env: {} })).to.throw('no such file');
    expect(() => parseKubeconfig('clusters: [', 'x.yaml')).to.throw(KubeconfigError, 'error loading config file "x.yaml"');
  });
});
