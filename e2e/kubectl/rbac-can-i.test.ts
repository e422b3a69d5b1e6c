import { expect } from 'chai';
import fc from 'fast-check';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../../lib/api/types/rbac';
import { type Cell, describeCell, matrixCells, referenceAllows, type RbacWorld, VOCABULARY, worldArb } from '../../services/apiserver/authz/rbac-reference';
import { eventually, KubectlCluster } from './support/kubectl-cluster';

/** Seed of the world written into the cluster. */
const SEED = 424_242;
/** How many `kubectl auth can-i --as` processes run at once (each is a short Go process). */
const CAN_I_CONCURRENCY = 4;
/** Cells checked through `kubectl auth can-i --as`, and through the real request. */
const CAN_I_CELLS = 24;
const REQUEST_CELLS = 16;
/** How long the controller-manager may take to aggregate a role, and caches to catch up. */
const SETTLE_MS = 20_000;
/** The least share of the matrix the world must allow, and refuse. */
const MIN_SHARE = 0.1;

const AGGREGATE_TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

/**
 * RBAC through the real kubectl against `bosun up` (its controller-manager, two apiservers):
 * a ClusterRole labelled aggregate-to-view extends what a view-bound user may do once the
 * clusterrole-aggregation controller has run, and the can-i property — over a seeded random
 * world of Roles, ClusterRoles and bindings written through the API, the apiserver's
 * SubjectAccessReviews (sent by kubectl), `kubectl auth can-i --as` and the real requests made
 * as each user agree with an independent reference evaluation of the same rules.
 */
describe('kubectl auth can-i against bosun up: aggregated roles and the can-i property', function () {
  this.timeout(120_000);
  let c: KubectlCluster;

  before(async () => {
    c = await KubectlCluster.shared();
    for (const ns of VOCABULARY.namespaces) await c.ok('create', 'namespace', ns);
  });
  after(async () => {
    if (c) await c.release();
  });

  const canI = async (...args: string[]) => (await c.kubectl(['auth', 'can-i', ...args])).stdout.trim();

  it('a ClusterRole labelled aggregate-to-view extends view (and edit) once the controller-manager aggregates it', async () => {
    const ns = VOCABULARY.namespaces[0];
    await c.ok('create', 'rolebinding', 'vic-view', '--clusterrole=view', '--user=vic', '-n', ns);
    await c.ok('create', 'secret', 'generic', 'token', '--from-literal=k=v', '-n', ns);
    const view = JSON.parse(await c.ok('get', 'clusterrole', 'view', '-o', 'json')) as ClusterRole;
    expect(view.aggregationRule?.clusterRoleSelectors).to.deep.equal([{ matchLabels: { [AGGREGATE_TO_VIEW]: 'true' } }]);
    expect(view.metadata.labels).to.include({ 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' });
    await eventually('vic to read configmaps through view', SETTLE_MS, async () => (await canI('list', 'configmaps', '-n', ns, '--as=vic')) === 'yes');
    expect(await canI('get', 'secrets', '-n', ns, '--as=vic')).to.equal('no');
    expect((await c.kubectl(['get', 'secret', 'token', '-n', ns, '--as=vic'])).stderr).to.include('secrets "token" is forbidden: User "vic" cannot get resource "secrets"');

    await c.ok('create', 'clusterrole', 'secret-reader', '--verb=get,list', '--resource=secrets');
    await c.ok('label', 'clusterrole', 'secret-reader', `${AGGREGATE_TO_VIEW}=true`);
    await eventually('view to aggregate secret-reader', SETTLE_MS, async () => (await canI('get', 'secrets', '-n', ns, '--as=vic')) === 'yes');
    expect(await c.ok('get', 'secret', 'token', '-n', ns, '--as=vic', '-o', 'jsonpath={.data.k}')).to.equal('dg==');
    const edit = JSON.parse(await c.ok('get', 'clusterrole', 'edit', '-o', 'json')) as ClusterRole;
    expect(edit.rules).to.deep.include({ verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'] });

    await c.ok('delete', 'clusterrole', 'secret-reader');
    await eventually('view to drop secret-reader', SETTLE_MS, async () => (await canI('get', 'secrets', '-n', ns, '--as=vic')) === 'no');
  });

  it('SubjectAccessReviews, kubectl auth can-i --as and real requests agree with the reference over a random world', async () => {
    const groupsOf = (user: string) => (user === 'ann' ? ['devs'] : user === 'ben' ? ['ops', 'qa'] : user === 'cat' ? ['qa'] : []);
    const cells = matrixCells(groupsOf);
    // The first seeded world that allows a fair share of the matrix and refuses a fair share.
    const share = (w: RbacWorld) => cells.filter((cell) => referenceAllows(w, cell)).length / cells.length;
    const world = fc.sample(worldArb, { seed: SEED, numRuns: 200 }).find((w) => share(w) >= MIN_SHARE && share(w) <= 1 - MIN_SHARE)!;
    expect(world, 'a seeded world with both answers').to.not.equal(undefined);
    const list = { apiVersion: 'v1', kind: 'List', items: [...world.roles, ...world.clusterRoles, ...world.roleBindings, ...world.clusterRoleBindings] };
    const applied = await c.kubectl(['create', '-f', '-'], { input: JSON.stringify(list) });
    expect(applied.code, applied.stderr).to.equal(0);
    // The reference reads the world back from the API once the cache serves all of it (bootstrap objects included).
    let served: RbacWorld | undefined;
    await eventually('the world to be served', SETTLE_MS, async () => {
      served = await readWorld(c);
      return world.roleBindings.every((b) => served!.roleBindings.some((s) => s.metadata.name === b.metadata.name)) && world.clusterRoleBindings.every((b) => served!.clusterRoleBindings.some((s) => s.metadata.name === b.metadata.name));
    });

    // (a) the whole matrix as SubjectAccessReviews, all sent by one kubectl.
    const reviews = { apiVersion: 'v1', kind: 'List', items: cells.map(subjectAccessReview) };
    const started = Date.now();

    // kubectl creates the items in order and prints each answer on its own line.
    const answered = await c.kubectl(['create', '-f', '-', '-o', 'jsonpath={.status.allowed}{"\\n"}'], { input: JSON.stringify(reviews) });
    expect(answered.code, answered.stderr).to.equal(0);
    const statuses = answered.stdout.trim().split('\n');
    expect(statuses).to.have.length(cells.length);
    const mismatches = cells.filter((cell, i) => (statuses[i] === 'true') !== referenceAllows(served!, cell)).map(describeCell);
    expect(mismatches, `of ${cells.length} SubjectAccessReviews (${Date.now() - started} ms)`).to.deep.equal([]);
    const allowed = cells.filter((cell) => referenceAllows(served!, cell));
    expect(allowed.length, 'the world allows some cells').to.be.above(0);

    // (b) a slice through kubectl auth can-i --as (a SelfSubjectAccessReview as the impersonated user).
    const refused = cells.filter((cell) => !referenceAllows(served!, cell));
    const slice = [...pick(allowed, CAN_I_CELLS / 2), ...pick(refused, CAN_I_CELLS / 2)];
    const canIWrong = (await mapLimit(slice, CAN_I_CONCURRENCY, async (cell) => ((await canI(...canIArgs(cell))) === 'yes') === referenceAllows(served!, asImpersonated(cell)) ? undefined : describeCell(cell))).filter((m) => m !== undefined);
    expect(canIWrong).to.deep.equal([]);

    // (c) the real request as that user: refused with Forbidden exactly when the reference refuses.
    const requestable = (cell: Cell) => ['get', 'list', 'create', 'delete'].includes(cell.verb) && cell.subresource === undefined && cell.group === '' && cell.namespace !== undefined && (cell.verb === 'get' || cell.verb === 'delete' ? cell.name !== undefined : cell.name === undefined);
    const sample = [...pick(allowed.filter(requestable), REQUEST_CELLS / 2), ...pick(refused.filter(requestable), REQUEST_CELLS / 2)];
    const requestWrong = (await mapLimit(sample, CAN_I_CONCURRENCY, async (cell) => {
      const r = await c.kubectl(requestArgs(cell));
      const forbidden = r.stderr.includes('is forbidden');
      return forbidden === referenceAllows(served!, asImpersonated(cell)) ? `${describeCell(cell)}: ${r.stderr.trim()}` : undefined;
    })).filter((m) => m !== undefined);
    expect(requestWrong).to.deep.equal([]);
  });
});

/** Every Role, ClusterRole and binding the API serves now. */
async function readWorld(c: KubectlCluster): Promise<RbacWorld> {
  const r = await c.kubectl(['get', 'roles,clusterroles,rolebindings,clusterrolebindings', '-A', '-o', 'json']);
  expect(r.code, r.stderr).to.equal(0);
  const items = (JSON.parse(r.stdout) as { items: (Role & RoleBinding)[] }).items;
  const of = (kind: string) => items.filter((i) => i.kind === kind);
  return { roles: of('Role'), clusterRoles: of('ClusterRole'), roleBindings: of('RoleBinding'), clusterRoleBindings: of('ClusterRoleBinding') as ClusterRoleBinding[] };
}

function subjectAccessReview(cell: Cell): object {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: { user: cell.user, groups: [...cell.groups], resourceAttributes: { verb: cell.verb, group: cell.group, resource: cell.resource, subresource: cell.subresource ?? '', namespace: cell.namespace ?? '', name: cell.name ?? '' } },
  };
}

/** The cell as the apiserver sees the impersonated user: ServiceAccount groups when none are named, and system:authenticated. */
function asImpersonated(cell: Cell): Cell {
  const sa = /^system:serviceaccount:([^:]+):/.exec(cell.user);
  const groups = sa && cell.groups.length === 0 ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`] : [...cell.groups];
  return { ...cell, groups: [...groups, 'system:authenticated'] };
}

function impersonation(cell: Cell): string[] {
  return [`--as=${cell.user}`, ...cell.groups.map((g) => `--as-group=${g}`)];
}

function scope(cell: Cell): string[] {
  return cell.namespace ? ['-n', cell.namespace] : ['-A'];
}

function canIArgs(cell: Cell): string[] {
  const resource = `${cell.resource}${cell.group ? `.${cell.group}` : ''}${cell.name ? `/${cell.name}` : ''}`;
  return [cell.verb, resource, ...(cell.subresource ? [`--subresource=${cell.subresource}`] : []), ...scope(cell), ...impersonation(cell)];
}

let made = 0;

/** kubectl arguments making the cell's request (get/delete of the named object, list, create). */
function requestArgs(cell: Cell): string[] {
  const as = [...scope(cell), ...impersonation(cell)];
  switch (cell.verb) {
    case 'get':
      return ['get', cell.resource, cell.name!, ...as];
    case 'list':
      return ['get', cell.resource, ...as];
    case 'delete':
      return ['delete', cell.resource, cell.name!, '--wait=false', ...as];
    default:
      return cell.resource === 'secrets' ? ['create', 'secret', 'generic', `made-${++made}`, ...as] : ['create', 'configmap', `made-${++made}`, ...as];
  }
}

/** Up to `n` items spread evenly over `items` (deterministic). */
function pick<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]!);
}

/** `fn` over `items`, at most `limit` at once, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}
