import { expect } from 'chai';
import { CliError } from './cli-env';
import { ResourceResolver, resourcePrefix } from './resource-resolver';
import { DEFAULT_SERVED_RESOURCES } from '../lib/client/testing/fake-api-client';

describe('ResourceResolver', () => {
  const r = new ResourceResolver(DEFAULT_SERVED_RESOURCES);
  const kindOf = (arg: string): string => r.resolve(arg).kind;

  it('resolves plural, singular, kind and short names', () => {
    const cases: Record<string, string> = {
      po: 'Pod', pods: 'Pod', pod: 'Pod', Pod: 'Pod', deploy: 'Deployment', svc: 'Service', ns: 'Namespace', no: 'Node', rs: 'ReplicaSet',
      ds: 'DaemonSet', sts: 'StatefulSet', cm: 'ConfigMap', ep: 'Endpoints', ev: 'Event', sa: 'ServiceAccount', pv: 'PersistentVolume',
      pvc: 'PersistentVolumeClaim', cj: 'CronJob', hpa: 'HorizontalPodAutoscaler', pc: 'PriorityClass', jobs: 'Job',
    };
    for (const [arg, kind] of Object.entries(cases)) expect(kindOf(arg), arg).to.equal(kind);
  });

  it('resolves kind.group and resource.version.group forms', () => {
    expect(kindOf('deployments.apps')).to.equal('Deployment');
    expect(kindOf('deploy.v1.apps')).to.equal('Deployment');
    expect(kindOf('roles.rbac.authorization.k8s.io')).to.equal('Role');
    expect(() => r.resolve('deployments.batch')).to.throw(CliError, `error: the server doesn't have a resource type "deployments.batch"`);
  });

  it('expands comma lists and the "all" category, without duplicates', () => {
    expect(r.resolveList('po,svc,pods').map((i) => i.resource)).to.deep.equal(['pods', 'services']);
    expect(r.resolveList('all').map((i) => i.resource)).to.deep.equal(['pods', 'services', 'replicationcontrollers', 'deployments', 'replicasets', 'daemonsets', 'statefulsets', 'jobs', 'cronjobs', 'horizontalpodautoscalers']);
  });

  it("names unknown types and unmapped kinds the way kubectl does", () => {
    expect(() => r.resolve('foo')).to.throw(`error: the server doesn't have a resource type "foo"`);
    expect(() => r.forKind('v1', 'Foo', 'f.yaml', 'x')).to.throw('error: resource mapping not found for name: "x" namespace: "" from "f.yaml": no matches for kind "Foo" in version "v1"');
    expect(r.forKind('apps/v1', 'Deployment', 'f', 'x').resource).to.equal('deployments');
    expect(() => r.forKind('apps/v2', 'Deployment', 'f', 'x')).to.throw('no matches for kind "Deployment" in version "apps/v2"');
    expect(resourcePrefix(r.resolve('deploy'))).to.equal('deployment.apps');
    expect(resourcePrefix(r.resolve('po'))).to.equal('pod');
  });
});
