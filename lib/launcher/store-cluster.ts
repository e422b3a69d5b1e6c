import * as net from 'node:net';
import * as path from 'node:path';
import { ReloadingIdentity } from '../pki/reloading-identity';
import * as grpc from '@grpc/grpc-js';
import { HashKVResponse, MaintenanceClient, StatusResponse } from '../../gen/etcd/rpc';
import { storeChannelCredentials, type StoreClientTls } from '../../store/client/endpoint';
import { ensureStoreClientPki, ensureStoreMemberFiles, storePkiDir, type StoreTlsFiles } from '../pki/store-pki';

import { LocalProcess } from './local-process';

export { BOSUN_BIN } from './local-process';
/** How long a member may take to answer its first status call. */
// Generous: a busy 2-core machine (a test suite, a build) can take this long to start three Node.js processes.
const MEMBER_START_TIMEOUT_MS = 60_000;
/** How often the launcher polls members while waiting. */
const POLL_INTERVAL_MS = 100;

/** One store member process of a local cluster. */
export class LocalStoreMember extends LocalProcess {
  constructor(
    name: string,
    readonly clientPort: number,
    readonly peerPort: number,
    readonly dataDir: string,
    logFile: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    /** 'https' when the member serves TLS on both ports, 'http' with --insecure. */
    readonly scheme: 'https' | 'http' = 'http',
  ) {
    super(name, logFile, ['store', ...args], env);
  }

  get clientUrl(): string {
    return `${this.scheme}://127.0.0.1:${this.clientPort}`;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get peerUrl(): string {
    return `${this.scheme}://127.0.0.1:${this.peerPort}`;
  }
}

/** Options for a local cluster of store member processes on 127.0.0.1. */
export interface LocalStoreClusterOptions {
  /** Number of members (3 or 5 make sense). */
  members: number;
  /** Directory for data and logs (created). */
  dir: string;
  /** Explicit [client, peer] ports per member; default: free ports chosen by the OS. */
  ports?: [number, number][];
  token?: string;
  logLevel?: string;
  /** Extra flags for every member (e.g. ['--snapshot-count', '100']). */
  extraArgs?: string[];
  /**
   * Plain text on both ports (`bosun store --insecure`). Without it the members serve mutual
   * TLS with certificates from the store's own CA in `<pkiDir>/store` (made when missing).
   */
  insecure?: boolean;
  /** The cluster's pki directory; the store's CA and certificates go in its `store` folder (default: `<dir>/pki`, where `bosun up` keeps them). */
  pkiDir?: string;
}

/** The PEM files of a store client's TLS: etcdctl's --cacert, --cert, --key. */
export type StoreClientTlsFiles = StoreTlsFiles;

/** Ports this process already handed out: the OS may offer a just-closed port again. */
const handedOut = new Set<number>();
/** Tries before freePort gives up finding a port not handed out before. */
const FREE_PORT_ATTEMPTS = 50;

/**
 * Asks the OS for a free TCP port on 127.0.0.1, never one this process was given before (two
 * members of one cluster must not get the same port because the first had not bound it yet).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < FREE_PORT_ATTEMPTS; attempt++) {
    const port = await osFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no unused free port after ${FREE_PORT_ATTEMPTS} tries`);
}

function osFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves true when nothing listens on 127.0.0.1:port. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Calls Maintenance.Status on one endpoint with a short deadline (over TLS when `tls` is given). */
export function memberStatus(endpoint: string, timeoutMs = 1000, tls?: StoreClientTls): Promise<StatusResponse> {
  return maintenanceCall(endpoint, timeoutMs, tls, (c, md, o, cb) => c.status({}, md, o, cb));
}

/** Calls Maintenance.HashKV (a hash of the keys at `revision`) on one endpoint. */
export function memberHashKv(endpoint: string, revision: number, timeoutMs = 2000, tls?: StoreClientTls): Promise<HashKVResponse> {
  return maintenanceCall(endpoint, timeoutMs, tls, (c, md, o, cb) => c.hashKv({ revision }, md, o, cb));
}

function maintenanceCall<Res>(
  endpoint: string,
  timeoutMs: number,
  tls: StoreClientTls | undefined,
  call: (c: MaintenanceClient, md: grpc.Metadata, o: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => void,
): Promise<Res> {
  const client = new MaintenanceClient(endpoint, storeChannelCredentials(tls));
  return new Promise<Res>((resolve, reject) => {
    call(client, new grpc.Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res);
    });
  });
}

/**
 * A cluster of real `bosun store` processes on loopback: what `npm start` runs and what the
 * multi-process tests kill and restart.
 */
export class LocalStoreCluster {
  static async create(opts: LocalStoreClusterOptions): Promise<LocalStoreCluster> {
    const ports: [number, number][] = opts.ports ?? [];
    while (ports.length < opts.members) ports.push([await freePort(), await freePort()]);
    const names = Array.from({ length: opts.members }, (_, i) => `store-${i + 1}`);
    const cluster = new LocalStoreCluster([], opts);
    const initialCluster = names.map((n, i) => `${n}=${cluster.scheme}://127.0.0.1:${ports[i][1]}`).join(',');
    for (const [i, name] of names.entries()) cluster.members.push(cluster.memberProcess(name, ports[i], initialCluster, 'new'));
    return cluster;
  }

  /** The files a client of this cluster presents (the apiservers' certificate); undefined with `insecure`. */
  readonly clientTlsFiles: StoreClientTlsFiles | undefined;
  /** Their contents, for in-process clients (StoreClient's `tls`, memberStatus). */
  readonly clientTls: StoreClientTls | undefined;
  private readonly pkiDir: string;

  private constructor(
    readonly members: LocalStoreMember[],
    private readonly opts: LocalStoreClusterOptions,
  ) {
    // The store's own CA, in a folder of its own under the cluster's pki (see STORE_CA_COMMON_NAME).
    this.pkiDir = storePkiDir(opts.pkiDir ?? path.join(opts.dir, 'pki'));
    if (opts.insecure) return;
    const { files, issued } = ensureStoreClientPki(this.pkiDir);
    this.clientTlsFiles = files;
    // Followed: the launcher renews the certificate while the cluster runs.
    this.clientTls = { ca: Buffer.from(issued.caCert), cert: Buffer.from(issued.cert), key: Buffer.from(issued.key), identity: ReloadingIdentity.fromFiles(files.cert, files.key) };
  }

  /** The scheme of the members' URLs: https unless `insecure`. */
  get scheme(): 'https' | 'http' {
    return this.opts.insecure ? 'http' : 'https';
  }

  /** The apiserver's flags for reaching this cluster (Kubernetes' --etcd-cafile/--etcd-certfile/--etcd-keyfile); none with `insecure`. */
  apiserverTlsArgs(): string[] {
    const f = this.clientTlsFiles;
    return f ? ['--etcd-cafile', f.ca, '--etcd-certfile', f.cert, '--etcd-keyfile', f.key] : [];
  }

  /** etcdctl's environment for this cluster: its endpoints and, with TLS, ETCDCTL_CACERT/CERT/KEY. */
  etcdctlEnv(): Record<string, string> {
    const f = this.clientTlsFiles;
    const endpoints = { ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: this.members.map((m) => m.clientUrl).join(',') };
    return f ? { ...endpoints, ETCDCTL_CACERT: f.ca, ETCDCTL_CERT: f.cert, ETCDCTL_KEY: f.key } : endpoints;
  }

  /** The flags of a member's TLS: its certificate (made when missing) on both ports, only the store's CA trusted; or --insecure. */
  private tlsArgs(name: string): string[] {
    if (this.opts.insecure) return ['--insecure'];
    const { ca, cert, key } = ensureStoreMemberFiles(this.pkiDir, name, []);
    return ['--cert-file', cert, '--key-file', key, '--trusted-ca-file', ca, '--peer-cert-file', cert, '--peer-key-file', key, '--peer-trusted-ca-file', ca];
  }

  /** A member process definition (not started) with the cluster's shared flags. */
  private memberProcess(name: string, [clientPort, peerPort]: [number, number], initialCluster: string, state: 'new' | 'existing'): LocalStoreMember {
    const dataDir = path.join(this.opts.dir, name);
    const scheme = this.scheme;
    const args = [
      '--name', name,
      '--data-dir', dataDir,
      '--listen-client-urls', `${scheme}://127.0.0.1:${clientPort}`,
      '--advertise-client-urls', `${scheme}://127.0.0.1:${clientPort}`,
      '--listen-peer-urls', `${scheme}://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls', `${scheme}://127.0.0.1:${peerPort}`,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', state,
      '--initial-cluster-token', this.opts.token ?? 'bosun-local',
      '--log-level', this.opts.logLevel ?? 'info',
      ...this.tlsArgs(name),
      ...(this.opts.extraArgs ?? []),
    ];
    return new LocalStoreMember(name, clientPort, peerPort, dataDir, path.join(this.opts.dir, 'logs', `${name}.log`), args, process.env, scheme);
  }

  /**
   * Defines (does not start) a new member that joins the running cluster with
   * --initial-cluster-state existing. Add it to the membership first (etcdctl member add or
   * the Cluster API) with the returned peer URL.
   */
  async joiningMember(name: string): Promise<LocalStoreMember> {
    const ports: [number, number] = [await freePort(), await freePort()];
    const initialCluster = [...this.members, { name, peerPort: ports[1] }].map((m) => `${m.name}=${this.scheme}://127.0.0.1:${m.peerPort}`).join(',');
    const m = this.memberProcess(name, ports, initialCluster, 'existing');
    this.members.push(m);
    return m;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  startAll(): void {
    for (const m of this.members) m.start();
  }

  /**
   * Waits until every running member answers Status and they agree on one leader; calls
   * `progress` as members come up. Throws naming the member, its port and log file when a
   * member exits or never answers.
   */
  async waitReady(progress: (event: string) => void = () => undefined, timeoutMs = MEMBER_START_TIMEOUT_MS): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const answered = new Set<string>();
    for (;;) {
      const running = this.members.filter((m) => m.isRunning() || !m.exitInfo);
      for (const m of this.members) {
        if (m.exitInfo && m.process) {
          throw new Error(
            `store member ${m.name} (client port ${m.clientPort}, peer port ${m.peerPort}) exited with ${m.exitInfo.signal ?? `code ${m.exitInfo.code}`}; see ${m.logFile}:\n${m.tailLog()}`,
          );
        }
      }
      const statuses = await Promise.all(
        running.map((m) =>
          memberStatus(m.endpoint, 500, this.clientTls).then(
            (s) => ({ m, s }),
            () => undefined,
          ),
        ),
      );
      for (const r of statuses) {
        if (r && !answered.has(r.m.name)) {
          answered.add(r.m.name);
          progress(`${r.m.name} is up on ${r.m.clientUrl}`);
        }
      }
      const leaders = new Set(statuses.map((r) => (r ? r.s.leader : -1)));
      if (statuses.every((r) => r) && leaders.size === 1 && !leaders.has(0)) {
        const leaderId = [...leaders][0];
        return leaderId;
      }
      if (Date.now() > deadline) {
        const silent = running.filter((m) => !answered.has(m.name));
        const which = silent.length > 0 ? silent : running;
        throw new Error(
          `store cluster not ready after ${timeoutMs} ms: ${which
            .map((m) => `${m.name} (client port ${m.clientPort}, log ${m.logFile})`)
            .join('; ')} ${silent.length > 0 ? 'never answered' : 'did not agree on a leader'}`,
        );
      }
      await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
    }
  }

  /** The member that currently leads (asks every running member). */
  async leader(): Promise<LocalStoreMember | undefined> {
    for (const m of this.members.filter((x) => x.isRunning())) {
      try {
        const s = await memberStatus(m.endpoint, 500, this.clientTls);
        if (s.leader !== 0 && s.leader === s.header?.memberId) return m;
      } catch {
        // try the next one
      }
    }
    return undefined;
  }

  /** Stops every member with SIGTERM (SIGKILL after a grace period). */
  async stop(graceMs = 3000): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        if (!m.isRunning()) return;
        const t = setTimeout(() => void m.kill('SIGKILL'), graceMs);
        m.process?.kill('SIGCONT');
        await m.kill('SIGTERM');
        clearTimeout(t);
      }),
    );
  }
}
