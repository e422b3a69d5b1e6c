import type { Logger } from 'pino';
import { KVService, LeaseService, WatchService, ClusterService, MaintenanceService } from '../../gen/etcd/rpc';
import { StoreDebugServer, StoreDebugService, StoreInternalService } from '../../gen/bosun/store';
import { RaftPeerService } from '../../gen/bosun/raft';
import { ServiceHost } from '../../lib/grpc/service-host';
import { withSaturatingRequests } from '../../lib/proto/saturating-int64';
import { StateRole } from '../raft/types';
import { clusterService } from './etcd-cluster-service';
import { kvService } from './etcd-kv-service';
import { LeaseAuthority, leaseService } from './etcd-lease-service';
import { storeInternalService } from './store-internal-service';
import { maintenanceService } from './etcd-maintenance-service';
import { watchService } from './etcd-watch-service';
import { ClientListener, LOOK_TIMEOUT_MS } from './client-listener';
import { unary } from './grpc-edge';
import { LeaderForwarder } from './leader-forwarder';
import { hostPortOf, MAX_CLIENT_GRPC_RECV_BYTES, MemberConfig } from './member-config';
import { StoreMember } from './member';
import { tlsServerOptions } from './member-tls';
import { MAX_PEER_MESSAGE_BYTES } from './peer-transport';
import { rememberingRequestBytes } from './proposal-bytes';
import { ResponseHeaders } from './response-headers';

/** How often watchers that asked for progress notifications get one when idle (etcd: 10 min). */
export const PROGRESS_NOTIFY_INTERVAL_MS = 10 * 60 * 1000;

/** How long stop() lets open client calls finish. */
const CLIENT_SHUTDOWN_GRACE_MS = 1000;
/** After this, stop() drops client connections the gRPC server has not ended itself. */
const CLIENT_CLOSE_GRACE_MS = 2 * CLIENT_SHUTDOWN_GRACE_MS;
/** How long stop() lets peer streams end once the member has stopped. */
const PEER_SHUTDOWN_GRACE_MS = 500;
/** After this, stop() drops peer connections (TLS peer port) the gRPC server has not ended itself. */
const PEER_CLOSE_GRACE_MS = 2 * PEER_SHUTDOWN_GRACE_MS;

/** Bosun's own status API of a member, beside the etcd services. */
function storeDebugService(member: StoreMember, log: Logger): StoreDebugServer {
  return {
    memberStatus: unary(log, 'MemberStatus', () => {
      const st = member.status();
      return {
        id: st.id,
        name: st.name,
        leader: st.leader,
        term: st.term,
        commit: st.commit,
        applied: st.applied,
        role: StateRole[st.role],
        revision: member.sm.currentRevision(),
        compactRevision: member.sm.compactRevision(),
        snapshotIndex: st.snapshotIndex,
        firstLogIndex: st.firstLogIndex,
        lastLogIndex: st.lastLogIndex,
        members: member.membership.list(),
      };
    }),
  };
}

/**
 * A running store member with its two gRPC front doors: the client port (etcd v3 API, our
 * debug API, reflection, health) and the peer port (raft transport, leader-only lease calls).
 */
export class StoreServer {
  private constructor(
    readonly member: StoreMember,
    private readonly client: ServiceHost,
    private readonly peer: ServiceHost,
    private readonly forwarder: LeaderForwarder,
    private readonly progressTimer: NodeJS.Timeout,
    private readonly clientListeners: ClientListener[],
    /** The peer port's own listeners, when it serves TLS (grpc-js binds it otherwise). */
    private readonly peerListeners: ClientListener[],
    /** Ports actually bound (useful when a URL asked for port 0). */
    readonly clientPorts: number[],
    readonly peerPorts: number[],
  ) {}

  static async start(config: MemberConfig, logger: Logger): Promise<StoreServer> {
    const member = await StoreMember.start(config, logger);
    const log = member.log;
    const headers = new ResponseHeaders({
      id: member.id,
      clusterId: member.clusterId,
      term: () => member.term(),
      currentRevision: () => member.sm.currentRevision(),
    });
    const forwarder = new LeaderForwarder(() => member.leaderPeerUrls(), config.peerTls);
    const authority = new LeaseAuthority(member, forwarder);

    const peer = new ServiceHost(['bosun/raft.proto', 'bosun/store.proto'], {
      'grpc.max_receive_message_length': MAX_PEER_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_PEER_MESSAGE_BYTES,
    });
    peer.addService(RaftPeerService, member.transportService());
    peer.addService(StoreInternalService, storeInternalService(member, authority, log));

    const client = new ServiceHost(['etcd/rpc.proto', 'bosun/store.proto'], {
      'grpc.max_receive_message_length': MAX_CLIENT_GRPC_RECV_BYTES,
      'grpc.max_send_message_length': 2 ** 31 - 1,
    });
    client.addService(rememberingRequestBytes(withSaturatingRequests(KVService), ['put', 'deleteRange', 'txn']), kvService(member, headers, log));
    client.addService(withSaturatingRequests(WatchService), watchService(member, headers, log));
    client.addService(withSaturatingRequests(LeaseService), leaseService(member, authority, headers, log));
    client.addService(withSaturatingRequests(ClusterService), clusterService(member, forwarder, headers, log));
    client.addService(withSaturatingRequests(MaintenanceService), maintenanceService(member, headers, log));
    client.addService(StoreDebugService, storeDebugService(member, log));

    const clientListeners: ClientListener[] = [];
    const peerListeners: ClientListener[] = [];
    const listen = async (flag: string, url: string, host: ServiceHost, tls: MemberConfig['clientTls'], into: ClientListener[]): Promise<number> => {
      const hostPort = hostPortOf(flag, url);
      const colon = hostPort.lastIndexOf(':');
      const refused = (err: Error, remote: string | undefined) => log.warn({ port: flag === 'listen-peer-urls' ? 'peer' : 'client', remote, err: err.message }, 'rejected TLS connection');
      const listener = await ClientListener.listen(hostPort.slice(0, colon), Number(hostPort.slice(colon + 1)), host.connectionInjector(), LOOK_TIMEOUT_MS, tls && tlsServerOptions(tls), refused, tls?.identity);
      into.push(listener);
      return listener.port;
    };
    try {
      // A TLS peer port is ours too (grpc-js's own TLS would need ServiceHost to take credentials).
      const peerPorts = await Promise.all(
        config.listenPeerUrls.map((u) => (config.peerTls ? listen('listen-peer-urls', u, peer, config.peerTls, peerListeners) : peer.listen(hostPortOf('listen-peer-urls', u)))),
      );
      // Like etcd, serve clients only once this member is part of a working cluster.
      await member.ready;
      // Our own listener, not grpc-js's: it lets requests whose :authority is a URL through (see client-listener.ts).
      const clientPorts: number[] = [];
      for (const u of config.listenClientUrls) clientPorts.push(await listen('listen-client-urls', u, client, config.clientTls, clientListeners));
      const progressTimer = setInterval(() => member.sm.progressNotify(), PROGRESS_NOTIFY_INTERVAL_MS);
      log.info({ client: config.listenClientUrls, peer: config.listenPeerUrls }, 'serving');
      return new StoreServer(member, client, peer, forwarder, progressTimer, clientListeners, peerListeners, clientPorts, peerPorts);
    } catch (err) {
      await Promise.all([...clientListeners, ...peerListeners].map((l) => l.close(0)).concat([client.shutdown(0), peer.shutdown(0)]));
      await member.stop();
      throw err;
    }
  }

  /** Graceful stop: no new calls, then the member, then the ports. */
  async stop(): Promise<void> {
    clearInterval(this.progressTimer);
    this.forwarder.close();
    const listenersClosed = Promise.all(this.clientListeners.map((l) => l.close(CLIENT_CLOSE_GRACE_MS)));
    await this.client.shutdown(CLIENT_SHUTDOWN_GRACE_MS);
    await listenersClosed;
    await this.member.stop();
    const peerListenersClosed = Promise.all(this.peerListeners.map((l) => l.close(PEER_CLOSE_GRACE_MS)));
    await this.peer.shutdown(PEER_SHUTDOWN_GRACE_MS);
    await peerListenersClosed;
  }
}
