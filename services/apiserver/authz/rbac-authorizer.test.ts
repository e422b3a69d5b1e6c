import { expect } from 'chai';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../../../lib/api/types/rbac';
import type { UserInfo } from '../authn/request-user';
import { RbacAuthorizer, type RbacObjects } from './rbac-authorizer';

const RBAC = 'rbac.authorization.k8s.io';

/** Roles and bindings in maps, with a version bumped by every change (what the caches' revisions give). */
class FakeObjects implements RbacObjects {
  version = 1;
  indexBuilds = 0;
  readonly crbs: ClusterRoleBinding[] = [];
  readonly rbs: RoleBinding[] = [];
  readonly clusterRoles = new Map<string, ClusterRole>();
  readonly roles = new Map<string, Role>();
  clusterRoleBindings(): readonly ClusterRoleBinding[] {
    this.indexBuilds++;
    return this.crbs;
  }
  roleBindings(namespace: string | undefined): readonly RoleBinding[] {
    return this.rbs.filter((b) => namespace === undefined || b.metadata.namespace === namespace);
  }
  clusterRole(name: string): ClusterRole | undefined {
    return this.clusterRoles.get(name);
  }
  role(namespace: string, name: string): Role | undefined {
    return this.roles.get(`${namespace}/${name}`);
  }
  bindingsVersion(): string {
    return String(this.version);
  }
}

const user = (name: string, groups: string[] = []): UserInfo => ({ name, uid: name, groups: [...groups, 'system:authenticated'] });
const get = (u: UserInfo, resource: string, namespace?: string) => ({ user: u, verb: 'get', resourceRequest: true, apiGroup: '', resource, namespace });

describe('RbacAuthorizer subject index', () => {
  it('finds bindings by user, group and ServiceAccount (namespace defaulted from the RoleBinding), among many others', () => {
    const o = new FakeObjects();
    o.clusterRoles.set('read-pods', { metadata: { name: 'read-pods' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] } as ClusterRole);
    o.roles.set('ns1/read-cm', { metadata: { name: 'read-cm', namespace: 'ns1' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] } as Role);
    for (let i = 0; i < 500; i++) o.crbs.push({ metadata: { name: `other-${i}` }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'read-pods' }, subjects: [{ kind: 'User', name: `other-${i}` }] } as ClusterRoleBinding);
    o.crbs.push({ metadata: { name: 'devs' }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'read-pods' }, subjects: [{ kind: 'Group', name: 'devs' }] } as ClusterRoleBinding);
    o.rbs.push({ metadata: { name: 'sa', namespace: 'ns1' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'read-cm' }, subjects: [{ kind: 'ServiceAccount', name: 'app' }] } as RoleBinding);
    const authz = new RbacAuthorizer(o);
    expect(authz.authorize(get(user('ann', ['devs']), 'pods')).allowed).to.equal(true);
    expect(authz.authorize(get(user('other-7'), 'pods')).reason).to.match(/ClusterRoleBinding "other-7"/);
    expect(authz.authorize(get(user('bob'), 'pods')).allowed).to.equal(false);
    expect(authz.authorize(get(user('system:serviceaccount:ns1:app'), 'configmaps', 'ns1')).allowed).to.equal(true);
    expect(authz.authorize(get(user('system:serviceaccount:ns2:app'), 'configmaps', 'ns2')).allowed).to.equal(false);
    expect(authz.rulesFor(user('system:serviceaccount:ns1:app'), 'ns1')).to.have.length(1);
  });

  it('rebuilds its index only when the bindings\' version changes', () => {
    const o = new FakeObjects();
    o.clusterRoles.set('read-pods', { metadata: { name: 'read-pods' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] } as ClusterRole);
    const authz = new RbacAuthorizer(o);
    expect(authz.authorize(get(user('carol'), 'pods')).allowed).to.equal(false);
    for (let i = 0; i < 10; i++) authz.authorize(get(user('carol'), 'pods'));
    expect(o.indexBuilds).to.equal(1);
    o.crbs.push({ metadata: { name: 'carol' }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'read-pods' }, subjects: [{ kind: 'User', name: 'carol' }] } as ClusterRoleBinding);
    o.version++;
    expect(authz.authorize(get(user('carol'), 'pods')).allowed).to.equal(true);
    expect(o.indexBuilds).to.equal(2);
  });
});
