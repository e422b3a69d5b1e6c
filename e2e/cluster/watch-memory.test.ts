import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeObject, ResourceInfo } from '../../lib/api/object';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { LocalApiServer } from '../../lib/launcher/apiserver-process';
import { freePort, LocalStoreCluster } from '../../lib/launcher/store-cluster';
import { ensureTokenFile } from '../../services/apiserver/http/bearer-auth';
import { ensureClusterTls } from '../../services/apiserver/http/cluster-tls';
import { grpcSession, stalledGrpcWatch, stalledHttpWatch, type StalledWatch } from '../support/stalled-watches';

/**
 * Memory of a real `bosun apiserver` process (over a real 3-member store) under watches that
 * are never read: 500 of them, half HTTP (each on its own TLS connection) and half gRPC (ten
 * per HTTP/2 connection), while a writer keeps changing objects of a few KB that all of them
 * watch. Each watch stream may hold only a bounded number of bytes (its cache queue and its
 * send buffer), is cut off once its client falls behind, and frees what it held; once the
 * watches are gone the process comes back near where it started.
 *
 * The growth allowed (MAX_GROWTH_MB), from the apiserver's defaults:
 * - per connection, TLS and HTTP/2 session state: opening the 500 watches (250 TLS
 *   connections, 25 HTTP/2 sessions) measured +15 to +25 MB;
 * - per watch stream, at most DEFAULT_SEND_BUFFER_BYTES (16 KiB) of encoded events handed to
 *   the transport and not yet flushed, plus one event: 500 × 20 KB ≈ 10 MB;
 * - the cache queues (DEFAULT_WATCHER_QUEUE_SIZE/BYTES: 100 events or 2 MiB) hold objects the
 *   watchers share: about 100 × 4 KB in all;
 * - the shared encodings (WATCH_ENCODING_MEMO_BYTES: 2 MiB per front door);
 * - garbage between collections: V8's young generation alone grows to 32 MB.
 * About 70 MB in all; measured peaks on a quiet machine were +32 to +41 MB. On a loaded CI
 * machine the collector falls behind and old-generation garbage took the peak to +95 MB, all of
 * it gone afterwards; so the peak is held to 120 MB, and what is retained is held by the
 * return-to-baseline check. The same test against the code before this bound: +77 MB at the
 * peak, still +76 MB 20 s after the watches were gone (which that check fails), and no stalled
 * watch was ever cut off.
 */

const CONFIGMAPS: ResourceInfo = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'], categories: [] };
const NAMESPACES: ResourceInfo = { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'], categories: [] };
const NAMESPACE = 'stalled';

/** Watches opened over HTTP and over gRPC. */
const HTTP_WATCHES = 250;
const GRPC_WATCHES = 250;
/** gRPC watches per HTTP/2 connection (controllers multiplex their watches). */
const GRPC_WATCHES_PER_CONNECTION = 10;
/** Objects the writer cycles through, and the size of each. */
const OBJECTS = 20;
const OBJECT_BYTES = 4 * 1024;
/** The writer's bounds: writes in all, writes in flight, and time. */
const MAX_WRITES = 400;
const WRITERS = 4;
const MAX_WRITE_MS = 30_000;
/** Writes after which every stalled watch must have been cut off (its cache queue bound is 100 events). */
const CUT_OFF_AFTER_WRITES = 250;
/** The HTTP cut-off test: stalled watches, objects written (large ones), and how long a client may take to notice the cut. */
const BIG_NAMESPACE = 'stalled-big';
const BIG_HTTP_WATCHES = 20;
const BIG_OBJECT_BYTES = 256 * 1024;
const BIG_MAX_WRITES = 60;
const CUT_OFF_NOTICE_MS = 10_000;
/** How often the apiserver's RSS is sampled, in milliseconds. */
const SAMPLE_MS = 100;
/** Peak RSS growth allowed while the stalled watches are open and written to (see the file comment). */
const MAX_GROWTH_MB = 120;
/**
 * RSS above the baseline allowed once the watches are gone, and how long it may take to get
 * there: the apiserver's MemoryReclaimer runs a full collection at the first quiet 5-s check
 * after the watches ended, and a settling one 5 s later that lets V8 give back its young
 * generation; what the C allocator keeps of the freed connection state stays (measured: from
 * nothing to ~25 MB, which the smaller young generation more than made up for). Across runs on
 * this 2-core machine the return landed at +10 to +18 MB (2026-12-07: a fresh-clone run at +18.4
 * failed the former 15-MB slack, and so did one of two runs of the code before that session's
 * changes, at +16.1); what the check is for — the code before the byte bound kept +76 MB — is
 * well above 25.
 */
const RETURN_SLACK_MB = 25;
const RETURN_WAIT_MS = 20_000;

/** Resident set size of a process, in MB (Linux /proc). */
function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb[1]) / 1024;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('apiserver memory with 500 watches that are never read', function () {
  this.timeout(180_000);
  let dir: string;
  let cluster: LocalStoreCluster;
  let apiserver: LocalApiServer;
  let client: GrpcApiClient;
  let ca: string;
  let token: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-watch-memory-'));
    cluster = await LocalStoreCluster.create({ members: 3, dir, logLevel: 'warn', insecure: true });
    cluster.startAll();
    await cluster.waitReady();
    const certDir = path.join(dir, 'pki');
    ca = ensureClusterTls(certDir).caCert;
    const tokenFile = path.join(dir, 'tokens.csv');
    token = ensureTokenFile(tokenFile);
    apiserver = new LocalApiServer('apiserver', await freePort(), path.join(dir, 'apiserver.log'), cluster.endpoints, { port: await freePort(), certDir, tokenFile });
    apiserver.start();
    await apiserver.waitReady();
    client = new GrpcApiClient({ endpoints: [apiserver.grpcEndpoint], token, tls: { caCert: ca } });
    await client.resource(NAMESPACES).create(undefined, { metadata: { name: NAMESPACE } });
    for (let i = 0; i < OBJECTS; i++) await client.resource(CONFIGMAPS).create(NAMESPACE, configMap(i, 0));
  });

  after(async () => {
    client?.close();
    await apiserver?.kill('SIGTERM');
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stays within its bound while they are written to, cuts off the stalled gRPC streams, and comes back near the baseline once they are gone', async () => {
    const pid = apiserver.pid!;
    const cms = client.resource(CONFIGMAPS);
    // A warm-up round of what the test does, so the baseline includes compiled code and pools.
    await cms.patch(NAMESPACE, 'cm-0', 'application/merge-patch+json', JSON.stringify({ data: { round: 'warm-up' } }));
    await cms.list(NAMESPACE);
    await sleep(1_000);
    const baseline = rssMb(pid);

    // A reading watch: it must see every write and never be cut off.
    const reader = cms.watch(NAMESPACE, { resourceVersion: (await cms.list(NAMESPACE)).metadata.resourceVersion });
    let readerEvents = 0;
    let readerError: unknown;
    const reading = (async () => {
      try {
        for await (const e of reader) if (e.type === 'MODIFIED') readerEvents++;
      } catch (err) {
        readerError = err;
      }
    })();

    const sessions = Array.from({ length: GRPC_WATCHES / GRPC_WATCHES_PER_CONNECTION }, () => grpcSession(apiserver.grpcEndpoint, ca));
    const watchPath = `/api/v1/namespaces/${NAMESPACE}/configmaps?watch=true`;
    const httpWatches = await Promise.all(Array.from({ length: HTTP_WATCHES }, () => stalledHttpWatch({ port: apiserver.https!.port, ca, token, path: watchPath })));
    const grpcWatches = await Promise.all(Array.from({ length: GRPC_WATCHES }, (_, i) => stalledGrpcWatch(sessions[i % sessions.length]!, CONFIGMAPS, { namespace: NAMESPACE }, token)));
    const watches: StalledWatch[] = [...httpWatches, ...grpcWatches];
    const opened = rssMb(pid);

    let peak = opened;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), SAMPLE_MS);
    let writes = 0;
    let cutOffAt: number | undefined;
    try {
      const deadline = Date.now() + MAX_WRITE_MS;
      await Promise.all(
        Array.from({ length: WRITERS }, async () => {
          while (writes < MAX_WRITES && Date.now() < deadline) {
            const n = ++writes;
            await cms.patch(NAMESPACE, `cm-${n % OBJECTS}`, 'application/merge-patch+json', JSON.stringify({ data: configMap(n % OBJECTS, n).data }));
            // A reset HTTP/2 stream shows at once; a closed TLS connection only once read (below).
            if (cutOffAt === undefined && grpcWatches.every((w) => w.isCutOff())) cutOffAt = n;
          }
        }),
      );
      await sleep(1_000);
    } finally {
      clearInterval(sampler);
    }
    const written = writes;

    // Each HTTP watch has its own TCP connection, whose kernel buffers (~4 MB here) took all
    // that was written: those have not stalled yet (the next test makes them).
    const grpcCut = grpcWatches.filter((w) => w.isCutOff()).length;
    for (const w of watches) w.close();
    for (const s of sessions) s.close();
    reader.stop();
    await reading;

    const returnDeadline = Date.now() + RETURN_WAIT_MS;
    let after = rssMb(pid);
    while (after > baseline + RETURN_SLACK_MB && Date.now() < returnDeadline) {
      await sleep(500);
      after = rssMb(pid);
    }
    console.log(
      `      apiserver RSS: baseline ${baseline.toFixed(1)} MB, ${HTTP_WATCHES + GRPC_WATCHES} watches open ${opened.toFixed(1)} MB, ` +
        `peak during ${written} writes ${peak.toFixed(1)} MB, after the watches were gone ${after.toFixed(1)} MB; ` +
        `${grpcCut} gRPC watches cut off (all after ${cutOffAt ?? '-'} writes); the reading watch saw ${readerEvents} changes`,
    );
    expect(written, 'writes done').to.be.at.least(CUT_OFF_AFTER_WRITES);
    expect(grpcCut, 'stalled gRPC watches the server cut off').to.equal(GRPC_WATCHES);
    expect(readerError, 'the reading watch failed').to.equal(undefined);
    expect(readerEvents, 'changes the reading watch saw').to.equal(written);
    expect(peak - baseline, 'peak RSS growth, MB').to.be.at.most(MAX_GROWTH_MB);
    expect(after - baseline, 'RSS above the baseline after the watches were gone, MB').to.be.at.most(RETURN_SLACK_MB);
  });

  it('cuts off HTTP watches that stopped reading once their connections are full, by the byte bound of their queues', async () => {
    const cms = client.resource(CONFIGMAPS);
    await client.resource(NAMESPACES).create(undefined, { metadata: { name: BIG_NAMESPACE } });
    const watches = await Promise.all(
      Array.from({ length: BIG_HTTP_WATCHES }, () => stalledHttpWatch({ port: apiserver.https!.port, ca, token, path: `/api/v1/namespaces/${BIG_NAMESPACE}/configmaps?watch=true` })),
    );
    let writes = 0;
    const deadline = Date.now() + MAX_WRITE_MS;
    // Few large objects: each connection's kernel buffers fill after ~15 of them, then 2 MiB of
    // unread events (8 of them, far below the 100-event bound) fill the watch's cache queue.
    while (writes < BIG_MAX_WRITES && Date.now() < deadline) {
      const stamp = String(++writes).padStart(8, '0');
      await cms.create(BIG_NAMESPACE, { metadata: { name: `big-${writes}` }, data: { blob: stamp.repeat(BIG_OBJECT_BYTES / stamp.length) } } as KubeObject);
    }
    // A cut TLS connection shows once the client reads again: its stream ends instead of going on.
    for (const w of watches) w.resume();
    const cut = await Promise.all(watches.map((w) => Promise.race([w.cutOff.then(() => true), sleep(CUT_OFF_NOTICE_MS).then(() => false)])));
    for (const w of watches) w.close();
    expect(cut.filter((c) => !c).length, 'stalled HTTP watches the server did not cut off').to.equal(0);
  });
});

/** ConfigMap `cm-i` at write `n`: OBJECT_BYTES of data that changes with every write. */
function configMap(i: number, n: number): KubeObject & { data: Record<string, string> } {
  const stamp = String(n).padStart(8, '0');
  return { metadata: { name: `cm-${i}` }, data: { blob: stamp.repeat(OBJECT_BYTES / stamp.length) } };
}
