/**
 * bench/apiserver/authz — what RBAC costs a request (issue 17's authorization benchmark).
 *
 * One 3-member Bosun store and two apiserver processes over it, identical but for
 * `--authorization-mode`: AlwaysAllow and RBAC. Through the admin token the run writes
 * ROLES ClusterRoles with a ClusterRoleBinding each (to other users) and ROLES Roles with a
 * RoleBinding each in the benchmark's namespace, the last of which grants the benchmark's user
 * `get` on ConfigMaps — so every RBAC decision walks a thousand-odd bindings before it matches,
 * the unfavourable case. Then the same closed loop (CONCURRENCY calls in flight, `get` of one
 * ConfigMap as that user, over gRPC) runs against each apiserver in turn, ROUNDS times,
 * alternating so drift hits both alike. Prints requests/s and p50/p99 per mode and the
 * throughput RBAC loses, next to the target (≤ 10 % loss).
 * Bounded: every round lasts ROUND_MS; everything started is stopped.
 * Usage: node dist/bench/apiserver/authz.js [--roles N] [--seconds S]
 */
import { flagNumber } from '../common/flags';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESOURCES } from '../../lib/api/resources';
import type { ConfigMap } from '../../lib/api/types/core';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../../lib/api/types/rbac';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { QUIET_BUSY_FRACTION, QUIET_WAIT_MS } from '../common/settings';
import { startBosun, type BenchCluster } from '../store/clusters';
import { latencySummary, sleep, waitForQuietMachine } from '../store/measure';
import { startApiServerProcess, type ApiServerProcess } from './apiserver-process';

const DEFAULT_ROLES = 1_000;
/** Seconds each round of load lasts. */
const DEFAULT_ROUND_S = 10;
const ROUNDS = 2;
const CONCURRENCY = 16;
/** Writes in flight while setting up the roles and bindings. */
const SETUP_CONCURRENCY = 32;
/** How long both apiservers' caches may take to see the last binding, ms. */
const CACHE_WAIT_MS = 30_000;
const MEMBERS = 3;
const NAMESPACE = 'bench-authz';
const ADMIN_TOKEN = 'bench-admin-token';
const USER_TOKEN = 'bench-user-token';
const USER = 'bench-user';
const TARGET_LOSS_PCT = 10;

/** Runs `make(i)` for i in [0, n) with at most `width` in flight. */
async function inBatches(n: number, width: number, make: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await make(next++);
    }),
  );
}

/** The roles and bindings (see the file comment); the user's own binding is written last. */
async function writePolicy(admin: GrpcApiClient, roles: number): Promise<void> {
  const clusterRoles = admin.resource<ClusterRole>(RESOURCES.clusterroles);
  const clusterBindings = admin.resource<ClusterRoleBinding>(RESOURCES.clusterrolebindings);
  const nsRoles = admin.resource<Role>(RESOURCES.roles);
  const nsBindings = admin.resource<RoleBinding>(RESOURCES.rolebindings);
  const rules = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }];
  const half = Math.floor(roles / 2);
  await inBatches(half, SETUP_CONCURRENCY, async (i) => {
    const name = `bench-cluster-${i}`;
    await clusterRoles.create(undefined, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules: [{ apiGroups: ['apps'], resources: [`r${i}`], verbs: ['get'] }] } as ClusterRole);
    await clusterBindings.create(undefined, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `other-${i}` }] } as ClusterRoleBinding);
  });
  await inBatches(roles - half, SETUP_CONCURRENCY, async (i) => {
    const name = `bench-ns-${i}`;
    const last = i === roles - half - 1;
    await nsRoles.create(NAMESPACE, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: NAMESPACE }, rules } as Role);
    if (!last) await nsBindings.create(NAMESPACE, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: NAMESPACE }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `other-ns-${i}` }] } as RoleBinding);
  });
  const name = `bench-ns-${roles - half - 1}`;
  await nsBindings.create(NAMESPACE, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: NAMESPACE }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: USER }] } as RoleBinding);
}

interface RoundResult {
  readonly calls: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly latenciesMs: number[];
  readonly seconds: number;
}

/** CONCURRENCY loops of `get` for `ms`, as the benchmark's user. */
async function closedLoop(endpoint: string, ms: number): Promise<RoundResult> {
  const client = new GrpcApiClient({ endpoints: [endpoint], token: USER_TOKEN });
  const configMaps = client.resource<ConfigMap>(RESOURCES.configmaps);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  await configMaps.get(NAMESPACE, 'target'); // connect before the clock starts
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await configMaps.get(NAMESPACE, 'target');
          latencies.push(performance.now() - t);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  client.close();
  return { calls: latencies.length, errors, firstError, latenciesMs: latencies, seconds };
}

async function main(): Promise<void> {
  const roles = flagNumber('--roles', DEFAULT_ROLES, { integer: true, min: 1 });
  const roundMs = flagNumber('--seconds', DEFAULT_ROUND_S, { integer: true, min: 1 }) * 1000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-authz-'));
  const tokenFile = path.join(dir, 'tokens.csv');
  fs.writeFileSync(tokenFile, `${ADMIN_TOKEN},admin,admin,"system:masters"\n${USER_TOKEN},${USER},${USER}\n`);
  let cluster: BenchCluster | undefined;
  const servers: ApiServerProcess[] = [];
  try {
    const busy = await waitForQuietMachine(QUIET_BUSY_FRACTION, QUIET_WAIT_MS);
    if (busy >= QUIET_BUSY_FRACTION) console.log(`warning: other processes keep ${(busy * 100).toFixed(0)}% of the CPUs busy; figures will be skewed`);
    cluster = await startBosun(MEMBERS);
    const leader = await cluster.leader();
    const endpoints = [cluster.endpoints[leader]!, ...cluster.endpoints.filter((_, i) => i !== leader)];
    for (const mode of ['AlwaysAllow', 'RBAC']) {
      servers.push(await startApiServerProcess(endpoints, path.join(dir, `apiserver-${mode}.log`), {}, ['--token-file', tokenFile, '--authorization-mode', mode]));
    }
    const [allowAll, rbac] = servers as [ApiServerProcess, ApiServerProcess];
    const admin = new GrpcApiClient({ endpoints: [rbac.address], token: ADMIN_TOKEN });
    await admin.resource(RESOURCES.namespaces).create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    await admin.resource<ConfigMap>(RESOURCES.configmaps).create(NAMESPACE, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'target', namespace: NAMESPACE }, data: { k: 'v' } } as ConfigMap);
    const t0 = Date.now();
    await writePolicy(admin, roles);
    console.log(`bench/authz: ${roles} roles and bindings written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // The RBAC apiserver decides from its caches: wait until the user's binding reached them.
    const deadline = Date.now() + CACHE_WAIT_MS;
    for (;;) {
      const probe = new GrpcApiClient({ endpoints: [rbac.address], token: USER_TOKEN });
      const ok = await probe.resource(RESOURCES.configmaps).get(NAMESPACE, 'target').then(() => true, () => false);
      probe.close();
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the RBAC apiserver did not allow ${USER} within ${CACHE_WAIT_MS} ms`);
      await sleep(200);
    }
    admin.close();
    const results: Record<string, RoundResult[]> = { AlwaysAllow: [], RBAC: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const [mode, server] of [['AlwaysAllow', allowAll], ['RBAC', rbac]] as const) {
        const res = await closedLoop(server.address, roundMs);
        results[mode]!.push(res);
        console.log(`bench/authz: round ${r + 1} ${mode}: ${(res.calls / res.seconds).toFixed(0)} req/s, ${res.errors} errors${res.firstError ? ` (first: ${res.firstError})` : ''}`);
      }
    }
    const summary = (mode: string) => {
      const rounds = results[mode]!;
      const calls = rounds.reduce((s, r) => s + r.calls, 0);
      const seconds = rounds.reduce((s, r) => s + r.seconds, 0);
      const { p50, p99 } = latencySummary(Float64Array.from(rounds.flatMap((r) => r.latenciesMs)));
      return { rate: calls / seconds, p50, p99, errors: rounds.reduce((s, r) => s + r.errors, 0) };
    };
    const off = summary('AlwaysAllow');
    const on = summary('RBAC');
    const loss = (1 - on.rate / off.rate) * 100;
    console.log(`\n== bench/apiserver authz: get configmap over gRPC, ${CONCURRENCY} in flight, ${ROUNDS} × ${roundMs / 1000} s per mode, ${roles} roles + bindings, ${os.cpus().length} CPUs ==`);
    console.log('mode          req/s    p50 ms   p99 ms   errors');
    for (const [mode, s] of [['AlwaysAllow', off], ['RBAC', on]] as const) console.log(`${mode.padEnd(12)} ${s.rate.toFixed(0).padStart(6)}   ${s.p50.toFixed(2).padStart(6)}   ${s.p99.toFixed(2).padStart(6)}   ${s.errors}`);
    console.log(`RBAC throughput loss: ${loss.toFixed(1)} %   (target ≤ ${TARGET_LOSS_PCT} %)`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await cluster?.stop(false);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench/authz: ${err instanceof Error ? err.stack ?? err.message : err}`);
    process.exit(1);
  },
);
