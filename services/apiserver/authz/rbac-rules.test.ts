import { expect } from 'chai';
import type { PolicyRule } from '../../../lib/api/types/rbac';
import type { Attributes } from './authorizer';
import { forbiddenMessage } from './authorizer';
import { ruleAllows, rulesCover, subjectMatches } from './rbac-rules';

const alice = { name: 'alice', groups: ['devs', 'system:authenticated'] };
const req = (over: Partial<Attributes>): Attributes => ({ user: alice, verb: 'get', resourceRequest: true, apiGroup: '', resource: 'pods', namespace: 'default', ...over });

describe('RBAC rules', () => {
  it('match verbs, groups, resources, subresources and names with Kubernetes’ wildcards', () => {
    const podsRead: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
    expect(ruleAllows(podsRead, req({}))).to.equal(true);
    expect(ruleAllows(podsRead, req({ verb: 'delete' }))).to.equal(false);
    expect(ruleAllows(podsRead, req({ apiGroup: 'apps' }))).to.equal(false);
    expect(ruleAllows(podsRead, req({ subresource: 'log' })), 'pods does not grant pods/log').to.equal(false);
    expect(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, req({ subresource: 'log' }))).to.equal(true);
    expect(ruleAllows({ verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }, req({ apiGroup: 'apps', resource: 'deployments', subresource: 'scale' }))).to.equal(true);
    expect(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, req({ verb: 'deletecollection', subresource: 'status' }))).to.equal(true);
    const named: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app'] };
    expect(ruleAllows(named, req({ resource: 'configmaps', name: 'app' }))).to.equal(true);
    expect(ruleAllows(named, req({ resource: 'configmaps', name: 'other' }))).to.equal(false);
    expect(ruleAllows(named, req({ resource: 'configmaps', verb: 'get' })), 'a named rule never grants a request without a name').to.equal(false);
  });

  it('match non-resource paths exactly or by a trailing *', () => {
    const rule: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/version', '/apis/*'] };
    expect(ruleAllows(rule, req({ resourceRequest: false, path: '/version' }))).to.equal(true);
    expect(ruleAllows(rule, req({ resourceRequest: false, path: '/apis/apps/v1' }))).to.equal(true);
    expect(ruleAllows(rule, req({ resourceRequest: false, path: '/metrics' }))).to.equal(false);
    expect(ruleAllows(rule, req({}))).to.equal(false);
  });

  it('bind users by name, groups by membership and ServiceAccounts by their user name', () => {
    expect(subjectMatches({ kind: 'User', name: 'alice' }, alice, undefined)).to.equal(true);
    expect(subjectMatches({ kind: 'Group', name: 'devs' }, alice, undefined)).to.equal(true);
    expect(subjectMatches({ kind: 'Group', name: 'ops' }, alice, undefined)).to.equal(false);
    const sa = { name: 'system:serviceaccount:team:builder', groups: [] };
    expect(subjectMatches({ kind: 'ServiceAccount', name: 'builder' }, sa, 'team')).to.equal(true);
    expect(subjectMatches({ kind: 'ServiceAccount', name: 'builder', namespace: 'other' }, sa, 'team')).to.equal(false);
  });

  it('cover a rule set only when every combination it names is held (a * only by a *)', () => {
    const held: PolicyRule[] = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'services'] }];
    expect(rulesCover(held, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }])).to.equal(true);
    expect(rulesCover(held, [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }])).to.equal(false);
    expect(rulesCover(held, [{ verbs: ['get'], apiGroups: [''], resources: ['*'] }])).to.equal(false);
    expect(rulesCover([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] }])).to.equal(true);
    expect(rulesCover(held, [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }])).to.equal(false);
  });

  it('word refusals as Kubernetes does', () => {
    expect(forbiddenMessage(req({ verb: 'list' }))).to.equal('pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
    expect(forbiddenMessage(req({ verb: 'delete', name: 'web', resource: 'nodes', namespace: undefined }))).to.equal('nodes "web" is forbidden: User "alice" cannot delete resource "nodes" in API group "" at the cluster scope');
    expect(forbiddenMessage(req({ verb: 'create', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', name: 'web' }))).to.equal('deployments.apps "web" is forbidden: User "alice" cannot create resource "deployments/scale" in API group "apps" in the namespace "default"');
    expect(forbiddenMessage(req({ resourceRequest: false, path: '/metrics' }))).to.equal('forbidden: User "alice" cannot get path "/metrics"');
  });
});
