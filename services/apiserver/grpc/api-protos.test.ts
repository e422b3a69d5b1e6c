import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fullServiceName, groupDir, serviceName } from '../../../lib/api/grpc-services';
import { ALL_STRATEGIES } from '../rest/resource-set';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const script = require(path.join(ROOT, 'scripts', 'gen-api-protos.js')) as {
  RESOURCES: [string, string, string, string, boolean, string[]][];
  generate(): Map<string, string>;
  serviceName(kind: string, resource: string): string;
  groupDir(group: string): string;
};

describe('the generated gRPC API protos (scripts/gen-api-protos.js)', () => {
  it('are committed as the script writes them', () => {
    for (const [rel, text] of script.generate()) {
      expect(fs.readFileSync(path.join(ROOT, rel), 'utf8'), `${rel} is stale: run node scripts/gen-api-protos.js`).to.equal(text);
    }
  });

  it("list exactly the apiserver's resources, with their status and scale/binding/token subresources", () => {
    const fromScript = script.RESOURCES.map(([g, v, k, r, status, extra]) => `${g}/${v}/${k}/${r}/${status}/${extra.join(',')}`).sort();
    const extras = (resource: string) => (resource === 'pods' ? 'binding,eviction' : resource === 'namespaces' ? 'finalize' : resource === 'serviceaccounts' ? 'token' : ['deployments', 'replicasets', 'statefulsets', 'replicationcontrollers'].includes(resource) ? 'scale' : '');
    const fromServer = ALL_STRATEGIES.map((s) => `${s.info.group}/${s.info.version}/${s.info.kind}/${s.info.resource}/${s.hasStatus}/${extras(s.info.resource)}`).sort();
    expect(fromScript).to.deep.equal(fromServer);
  });

  it('name services and packages the same way as the server and client do', () => {
    for (const s of ALL_STRATEGIES) {
      expect(serviceName(s.info)).to.equal(script.serviceName(s.info.kind, s.info.resource));
      expect(groupDir(s.info.group)).to.equal(script.groupDir(s.info.group));
    }
    expect(fullServiceName({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', resource: 'clusterrolebindings' })).to.equal('bosun.api.rbac.v1.ClusterRoleBindings');
    expect(fullServiceName({ group: '', version: 'v1', kind: 'Endpoints', resource: 'endpoints' })).to.equal('bosun.api.core.v1.Endpoints');
  });
});
