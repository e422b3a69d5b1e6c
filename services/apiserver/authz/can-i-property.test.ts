/**
 * The can-i property at unit level: over seeded random RBAC worlds, the SubjectAccessReview the
 * apiserver answers (review-rest.ts over the RBAC authorizer, its subject index in use) agrees
 * with an independent reference evaluation of the same rules (rbac-reference.ts) on every cell
 * asked. fast-check prints the seed and path of a failing world.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { KubeObject } from '../../../lib/api/object';
import { AuthorizerChain } from './authorizer';
import { RbacAuthorizer, type RbacObjects } from './rbac-authorizer';
import { type Cell, cellArb, describeCell, matrixCells, referenceAllows, type RbacWorld, worldArb } from './rbac-reference';
import { reviewRests } from './review-rest';

/** Seed of the runs (change it to explore; a failure prints the one to replay). */
const SEED = 170_817;
const WORLDS = 300;
const CELLS_PER_WORLD = 40;
const MATRIX_WORLDS = 6;

/** The world as the authorizer reads it (with a version, so the subject index is built and used). */
function objectsOf(world: RbacWorld): RbacObjects {
  return {
    clusterRoleBindings: () => world.clusterRoleBindings,
    roleBindings: (ns) => world.roleBindings.filter((b) => ns === undefined || b.metadata.namespace === ns),
    clusterRole: (name) => world.clusterRoles.find((r) => r.metadata.name === name),
    role: (ns, name) => world.roles.find((r) => r.metadata.namespace === ns && r.metadata.name === name),
    bindingsVersion: () => 'fixed',
  };
}

/** Asks a SubjectAccessReview for `cell`, as `kubectl auth can-i` asks the apiserver. */
function reviewer(world: RbacWorld): (cell: Cell) => Promise<boolean> {
  const rbac = new RbacAuthorizer(objectsOf(world));
  const chain = new AuthorizerChain([rbac]);
  const sar = reviewRests({ authorize: (a) => chain.authorize(a), rulesFor: (u, ns) => ({ rules: rbac.rulesFor(u, ns), incomplete: false }) }).find((r) => r.info.kind === 'SubjectAccessReview')!;
  return async (cell) => {
    const review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: { user: cell.user, groups: [...cell.groups], resourceAttributes: { verb: cell.verb, group: cell.group, resource: cell.resource, subresource: cell.subresource, namespace: cell.namespace, name: cell.name } },
    } as KubeObject;
    const answered = (await sar.create(undefined, review)) as KubeObject & { status?: { allowed?: boolean } };
    return answered.status?.allowed === true;
  };
}

describe('kubectl auth can-i property (SubjectAccessReview vs a reference RBAC evaluation)', () => {
  it(`agrees on ${CELLS_PER_WORLD} random cells in each of ${WORLDS} random worlds`, async () => {
    let allowed = 0;
    await fc.assert(
      fc.asyncProperty(worldArb, fc.array(cellArb, { minLength: CELLS_PER_WORLD, maxLength: CELLS_PER_WORLD }), async (world, cells) => {
        const ask = reviewer(world);
        for (const cell of cells) {
          const answer = await ask(cell);
          if (answer) allowed++;
          expect(answer, describeCell(cell)).to.equal(referenceAllows(world, cell));
        }
      }),
      { seed: SEED, numRuns: WORLDS },
    );
    // The generator is useful only if both answers occur often.
    const total = WORLDS * CELLS_PER_WORLD;
    expect(allowed, 'allowed cells').to.be.above(total / 20);
    expect(total - allowed, 'refused cells').to.be.above(total / 20);
  });

  it('agrees on the whole matrix users × verbs × resources × namespaces × names for a few worlds', async () => {
    const worlds = fc.sample(worldArb, { seed: SEED + 1, numRuns: MATRIX_WORLDS });
    const groupsOf = (user: string) => (user === 'ann' ? ['devs'] : user === 'ben' ? ['ops', 'qa'] : []);
    for (const world of worlds) {
      const ask = reviewer(world);
      for (const cell of matrixCells(groupsOf)) expect(await ask(cell), describeCell(cell)).to.equal(referenceAllows(world, cell));
    }
  });
});
