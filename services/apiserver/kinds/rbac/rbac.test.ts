import { expect } from 'chai';
import type { FieldError } from '../../../../lib/api/errors';
import { clusterRoleBindingStrategy, clusterRoleStrategy, rbacStrategies, roleBindingStrategy, roleStrategy, type RoleBinding } from './index';
import { validateObjectMeta } from '../../../../lib/api/validation';

function lines(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

function binding(extra: Partial<RoleBinding> = {}): RoleBinding {
  return {
    metadata: { name: 'read-pods', namespace: 'default' },
    subjects: [{ kind: 'User', name: 'jane' }],
    roleRef: { kind: 'Role', name: 'pod-reader' },
    ...extra,
  };
}

describe('rbac.authorization.k8s.io/v1 strategies', () => {
  it('serve Role, RoleBinding (namespaced), ClusterRole, ClusterRoleBinding (cluster-scoped) without short names', () => {
    expect(rbacStrategies.map((s) => [s.info.kind, s.info.resource, s.info.namespaced, s.info.shortNames, s.hasStatus])).to.deep.equal([
      ['Role', 'roles', true, [], false],
      ['RoleBinding', 'rolebindings', true, [], false],
      ['ClusterRole', 'clusterroles', false, [], false],
      ['ClusterRoleBinding', 'clusterrolebindings', false, [], false],
    ]);
  });

  it('validates every rule: verbs, apiGroups and resources required; URLs only in cluster roles', () => {
    const role = {
      metadata: { name: 'r', namespace: 'default' },
      rules: [
        { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
        {},
        { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      ],
    };
    expect(lines(roleStrategy.validate(role))).to.deep.equal([
      'rules[1].verbs: Required value: verbs must contain at least one value',
      'rules[1].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[1].resources: Required value: resource rules must supply at least one resource',
      'rules[2].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
    ]);
    const clusterRole = { metadata: { name: 'cr' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }, { verbs: ['get'], nonResourceURLs: ['/x'], resources: ['pods'] }] };
    expect(lines(clusterRoleStrategy.validate(clusterRole))).to.deep.equal([
      'rules[1].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs',
    ]);
  });

  it('defaults roleRef.apiGroup and User/Group subject apiGroups', () => {
    const b = binding({ subjects: [{ kind: 'User', name: 'jane' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'default' }] });
    roleBindingStrategy.prepareForCreate(b);
    expect(b.roleRef).to.deep.equal({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' });
    expect(b.subjects).to.deep.equal([
      { kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'sa', namespace: 'default' },
    ]);
    expect(roleBindingStrategy.validate(b)).to.deep.equal([]);
  });

  it('rejects bad subjects and roleRefs', () => {
    const b = binding({ subjects: [{ kind: 'Robot', name: 'r2' }, { kind: 'ServiceAccount' }], roleRef: { apiGroup: 'example.com', kind: 'Policy', name: '' } });
    roleBindingStrategy.prepareForCreate(b);
    expect(lines(roleBindingStrategy.validate(b))).to.deep.equal([
      'roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"',
      'roleRef.kind: Unsupported value: "Policy": supported values: "Role", "ClusterRole"',
      'roleRef.name: Required value',
      'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      'subjects[1].name: Required value',
    ]);
  });

  it('requires a namespace for ServiceAccount subjects of a ClusterRoleBinding, and a ClusterRole roleRef', () => {
    const b = binding({ metadata: { name: 'crb' }, subjects: [{ kind: 'ServiceAccount', name: 'builder' }] });
    clusterRoleBindingStrategy.prepareForCreate(b);
    expect(lines(clusterRoleBindingStrategy.validate(b))).to.deep.equal([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
  });

  it('refuses to change roleRef on update, but allows subject changes', () => {
    const old = binding();
    roleBindingStrategy.prepareForCreate(old);
    const more = { ...old, subjects: [...old.subjects!, { kind: 'Group', name: 'devs' }] };
    roleBindingStrategy.prepareForUpdate(more, old);
    expect(roleBindingStrategy.validateUpdate(more, old)).to.deep.equal([]);
    const changed = { ...old, roleRef: { ...old.roleRef, name: 'admin' } };
    expect(lines(roleBindingStrategy.validateUpdate(changed, old))).to.deep.equal([
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"admin"}: cannot change roleRef',
    ]);
    expect(lines(clusterRoleBindingStrategy.validateUpdate({ ...changed, metadata: { name: 'x' }, roleRef: { ...changed.roleRef, kind: 'ClusterRole' } }, { ...old, roleRef: { ...old.roleRef, kind: 'ClusterRole' } }))).to.deep.equal([
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"admin"}: cannot change roleRef',
    ]);
  });
});

describe('RBAC object names', () => {
  it('accepts path-segment names such as system:controller:foo and refuses "/" and ".."', () => {
    const check = (name: string) =>
      validateObjectMeta({ name }, { namespaced: false, nameValidator: clusterRoleStrategy.nameValidator }).map((e) => e.message);
    expect(check('system:controller:foo')).to.deep.equal([]);
    expect(check('a/b')).to.deep.equal([`Invalid value: "a/b": may not contain '/'`]);
    expect(check('..')).to.deep.equal([`Invalid value: "..": may not be '..'`]);
  });
});
