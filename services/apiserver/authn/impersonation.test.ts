import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { ApiError } from '../../../lib/api/errors';
import type { Attributes, Authorizer } from '../authz/authorizer';
import { httpImpersonation, impersonate, impersonatorOf, metadataImpersonation } from './impersonation';
import { AUTHENTICATED_GROUP, type UserInfo } from './request-user';

const BOB: UserInfo = { name: 'bob', groups: ['ops', AUTHENTICATED_GROUP] };

/** Allows what `allowed` accepts and records every question. */
function recording(allowed: (a: Attributes) => boolean): Authorizer & { asked: Attributes[] } {
  const asked: Attributes[] = [];
  return { asked, authorize: (a) => (asked.push(a), { allowed: allowed(a), reason: '' }) };
}

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected a refusal');
}

describe('impersonation', () => {
  it('reads the HTTP headers (repeated groups, percent-decoded extra keys) and the same names from gRPC metadata', () => {
    const headersDistinct = { 'impersonate-user': ['jane'], 'impersonate-group': ['devs', 'qa'], 'impersonate-uid': ['u-1'], 'impersonate-extra-acme.com%2fteam': ['blue', 'red'], accept: ['*/*'] };
    const req = { headers: { 'impersonate-user': 'jane' }, headersDistinct };
    expect(httpImpersonation(req)).to.deep.equal({ user: 'jane', groups: ['devs', 'qa'], uid: 'u-1', extra: { 'acme.com/team': ['blue', 'red'] } });
    expect(httpImpersonation({ headers: { accept: '*/*' }, headersDistinct: { accept: ['*/*'] } })).to.equal(undefined);
    const md = new grpc.Metadata();
    md.add('impersonate-user', 'jane');
    md.add('impersonate-group', 'devs');
    md.add('impersonate-group', 'qa');
    expect(metadataImpersonation(md)).to.deep.equal({ user: 'jane', groups: ['devs', 'qa'], uid: undefined, extra: {} });
    expect(metadataImpersonation(new grpc.Metadata())).to.equal(undefined);
    const twice = { headers: { 'impersonate-user': 'a, b' }, headersDistinct: { 'impersonate-user': ['a', 'b'] } };
    expect(() => httpImpersonation(twice)).to.throw(ApiError, 'Impersonate-User: only one value may be given');
  });

  it('asks the authorizer for impersonate on users, groups, userextras and uids, then acts as the user with system:authenticated', () => {
    const authz = recording(() => true);
    const request = { user: 'jane', groups: ['devs'], uid: 'u-1', extra: { scopes: ['read'] } };
    const jane = impersonate(BOB, request, authz);
    expect(jane).to.deep.equal({ name: 'jane', uid: 'u-1', groups: ['devs', AUTHENTICATED_GROUP], extra: { scopes: ['read'] } });
    expect(impersonatorOf(jane)).to.equal(BOB);
    expect(authz.asked.map((a) => [a.user.name, a.verb, a.apiGroup, a.resource, a.subresource, a.name])).to.deep.equal([
      ['bob', 'impersonate', '', 'users', undefined, 'jane'],
      ['bob', 'impersonate', '', 'groups', undefined, 'devs'],
      ['bob', 'impersonate', 'authentication.k8s.io', 'userextras', 'scopes', 'read'],
      ['bob', 'impersonate', 'authentication.k8s.io', 'uids', undefined, 'u-1'],
    ]);
    expect(impersonate(BOB, undefined, authz)).to.equal(BOB);
  });

  it("checks a ServiceAccount in its namespace and gives it the ServiceAccount groups; anonymous stays unauthenticated", () => {
    const authz = recording(() => true);
    const sa = impersonate(BOB, { user: 'system:serviceaccount:team-a:builder', groups: [], extra: {} }, authz);
    expect(authz.asked[0]).to.include({ resource: 'serviceaccounts', namespace: 'team-a', name: 'builder', apiGroup: '' });
    expect(sa.groups).to.deep.equal(['system:serviceaccounts', 'system:serviceaccounts:team-a', AUTHENTICATED_GROUP]);
    const anon = impersonate(BOB, { user: 'system:anonymous', groups: [], extra: {} }, authz);
    expect(anon.groups).to.deep.equal(['system:unauthenticated']);
    const unauth = impersonate(BOB, { user: 'x', groups: ['system:unauthenticated'], extra: {} }, authz);
    expect(unauth.groups).to.deep.equal(['system:unauthenticated']);
  });

  it("refuses with Kubernetes' 403 message at the first part not allowed, and 400 for groups without a user", () => {
    const onlyUsers = recording((a) => a.resource === 'users');
    const forbidden = refusal(() => impersonate(BOB, { user: 'jane', groups: ['system:masters'], extra: {} }, onlyUsers));
    expect(forbidden.code).to.equal(403);
    expect(forbidden.message).to.equal('groups "system:masters" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope');
    const none = recording(() => false);
    expect(refusal(() => impersonate(BOB, { user: 'jane', groups: [], extra: {} }, none)).message).to.equal('users "jane" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
    const sa = refusal(() => impersonate(BOB, { user: 'system:serviceaccount:ns1:x', groups: [], extra: {} }, none));
    expect(sa.message).to.equal('serviceaccounts "x" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns1"');
    const noUser = refusal(() => impersonate(BOB, { groups: ['devs'], extra: {} }, recording(() => true)));
    expect(noUser.code).to.equal(400);
    expect(noUser.message).to.include('Impersonate-User: Required value');
  });
});
