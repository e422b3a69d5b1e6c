import { ENCRYPTION_CONFIG_FILE, ensureEncryptionConfig } from '../services/apiserver/encryption/encryption-config';
import { ensureServiceAccountKey, SERVICE_ACCOUNT_KEY_FILE } from '../services/apiserver/serviceaccount/token-keys';
import { Command, Option } from 'commander';
import * as path from 'node:path';
import { ensureTokenFile, writeHttpKubeconfig } from '../services/apiserver/http/bearer-auth';
import { ensureClusterTls } from '../services/apiserver/http/cluster-tls';
import { LocalApiServer } from '../lib/launcher/apiserver-process';
import { LocalControllerManager } from '../lib/launcher/controller-manager-process';
import { LocalDns } from '../lib/launcher/dns-process';
import { Supervisor } from '../lib/launcher/supervisor';
import { TcpBalancer } from '../lib/launcher/tcp-balancer';
import { LocalScheduler } from '../lib/launcher/scheduler-process';
import { LocalIngress } from '../lib/launcher/ingress-process';
import { PortPlan } from '../lib/launcher/port-plan';
import { componentServingTls } from '../lib/launcher/component-args';
import { hostAddress } from '../lib/network/host-address';
import { claimUp, releaseUp } from '../lib/launcher/up-lock';
import { LocalStoreCluster } from '../lib/launcher/store-cluster';
import { CertRenewer } from '../lib/launcher/cert-renewer';
import { CERT_VALIDITY_ENV, certValiditySeconds, MIN_CERT_VALIDITY_SECONDS } from '../lib/pki/cert-renewal';
import { STORE_PKI_SUBDIR } from '../lib/pki/cluster-ca';
import { parseAuthorizationModes } from '../services/apiserver/authz/api-authorization';
import { BOSUN_INGRESS, COMPONENT_KUBECONFIG_DIR, COREDNS, KUBE_CONTROLLER_MANAGER, KUBE_PROXY, KUBE_SCHEDULER, nodeIdentity, refreshKubeconfigClientCerts, writeComponentKubeconfigs } from './component-identities';
import { DEFAULT_DNS_GRPC_LISTEN, DEFAULT_DNS_LISTEN, DEFAULT_DNS_METRICS_ADDRESS } from './dns-command';
import { ConfigError } from '../lib/config-error';
import { GrpcApiClient } from '../lib/client/grpc-api-client';
import { ensureSampleImages, localNodeAgents, localNodeNames, removeNodeContainers, waitNodesReady, type LocalNodePorts } from '../lib/launcher/local-nodes';
import type { LocalNodeAgent } from '../lib/launcher/node-agent-process';
import { LOCAL_PROXY_PORTS, LocalProxy, localClusterRunsProxy } from '../lib/launcher/proxy-process';
import { RUNTIME_KINDS, type RuntimeKind } from '../services/node-agent/runtime/index';

/** Most nodes `bosun up` runs. */
const MAX_LOCAL_NODES = 8;
/** The apiservers' authorization in a local cluster: Kubernetes' default, every component under its own rights. */
const DEFAULT_UP_AUTHORIZATION = 'Node,RBAC';

/** Client/peer ports of the local cluster's members, etcd's conventional local layout. */
export const LOCAL_CLUSTER_PORTS: [number, number][] = [
  [2379, 2380],
  [22379, 22380],
  [32379, 32380],
  [42379, 42380],
  [52379, 52380],
];

/** [HTTPS, gRPC] ports of the local cluster's apiservers (behind the balancer on 6443). */
export const LOCAL_APISERVER_PORTS: [number, number][] = [
  [6441, 6444],
  [6451, 6454],
];
/** The HTTPS load balancer in front of every apiserver, which the kubeconfig names (6443 is Kubernetes' usual port). */
export const LOCAL_API_BALANCER_PORT = 6443;

/** gRPC status ports of the local cluster's two scheduler replicas (10259 is kube-scheduler's port). */
export const LOCAL_SCHEDULER_PORTS: number[] = [10259, 10269];
/** /metrics ports of the two scheduler replicas (10251: kube-scheduler's former plain-HTTP port). */
export const LOCAL_SCHEDULER_METRICS_PORTS: number[] = [10251, 10261];
/** /metrics ports of the two controller-manager replicas (10252: kube-controller-manager's former plain-HTTP port). */
export const LOCAL_CONTROLLER_MANAGER_METRICS_PORTS: number[] = [10252, 10262];
/** The cluster DNS's ports: DNS (UDP+TCP), gRPC status, /metrics — `bosun dns`'s defaults. */
export const LOCAL_DNS_PORTS = { dns: portOf(DEFAULT_DNS_LISTEN), grpc: portOf(DEFAULT_DNS_GRPC_LISTEN), metrics: portOf(DEFAULT_DNS_METRICS_ADDRESS) } as const;
function portOf(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}
/**
 * The local ingress controller on 127.0.0.1: plain HTTP on 8000 (8080 stays free for the
 * port-forward of the walkthrough), HTTPS/HTTP2 on 8443, status API on 10253, /metrics on 10254.
 */
export const LOCAL_INGRESS_PORTS = { http: 8000, https: 8443, grpc: 10253, metrics: 10254 } as const;
/** Node i's agent: kubelet (streaming) port 10250 + 10·i, gRPC status 10248 + 10·i, /metrics 10255 + 10·i (the kubelet's ports). */
const NODE_PORT_BASE = { kubelet: 10250, grpc: 10248, metrics: 10255 } as const;
const NODE_PORT_STRIDE = 10;
/** How long the nodes may take to be Ready after their agents start. */
const NODES_READY_TIMEOUT_MS = 90_000;
/** The folder (under --dir) holding `<component>.pid` for every supervised process, kept current across restarts. */
export const UP_PID_DIR = 'pids';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `bosun up`: the embedded local cluster (`npm start`), in the foreground until Ctrl-C. */
export function upCommand(): Command {
  return new Command('up')
    .description('run a local Bosun cluster on 127.0.0.1 in the foreground (Ctrl-C or `bosun down` stops it): the store, two apiservers, two controller-managers, two schedulers and the nodes')
    .addOption(new Option('--dir <path>', 'directory for data and logs').default('.data/local'))
    .addOption(new Option('--members <n>', 'store members (3 or 5)').choices(['1', '3', '5']).default('3'))
    .addOption(new Option('--ports <which>', '"standard" (2379, 22379, 32379, …) or "free" (any free ports)').choices(['standard', 'free']).default('standard'))
    .addOption(new Option('--nodes <n>', 'nodes, each a node agent').default('2'))
    .addOption(new Option('--start-timeout <seconds>', 'how long the store, and then each apiserver, may take to come up (default: 20 s and 30 s; raise it on a loaded machine)'))
    .addOption(new Option('--runtime <kind>', 'how the nodes run pods: process (local processes in their own namespaces, as root), docker, or fake (no processes)').choices([...RUNTIME_KINDS]).default('process'))
    .addOption(new Option('--authorization-mode <modes>', "the apiservers' authorization: Node,RBAC (each component and node has its own identity and only its own rights) or AlwaysAllow").default(DEFAULT_UP_AUTHORIZATION).env('BOSUN_APISERVER_AUTHORIZATION_MODE'))
    .addOption(
      new Option('--cert-validity <seconds>', `validity of the certificates it issues (each renewed while the cluster runs, once a third of it is left); default one year, at least ${MIN_CERT_VALIDITY_SECONDS} s`).env(CERT_VALIDITY_ENV),
    )
    .action(async (o: { dir: string; members: string; ports: string; nodes: string; runtime: RuntimeKind; startTimeout?: string; authorizationMode: string; certValidity?: string }) => {
      if (o.certValidity !== undefined) {
        try {
          certValiditySeconds({ [CERT_VALIDITY_ENV]: o.certValidity });
        } catch {
          throw new ConfigError(`--cert-validity: "${o.certValidity}" is not a whole number of seconds of at least ${MIN_CERT_VALIDITY_SECONDS}`);
        }
        // Every process it starts issues (at its start) with the same validity: they inherit it.
        process.env[CERT_VALIDITY_ENV] = o.certValidity;
      }
      const n = Number(o.members);
      const startTimeoutMs = o.startTimeout === undefined ? undefined : Number(o.startTimeout) * 1000;
      if (startTimeoutMs !== undefined && !(Number.isFinite(startTimeoutMs) && startTimeoutMs > 0)) throw new ConfigError(`--start-timeout: "${o.startTimeout}" is not a positive number of seconds`);
      try {
        parseAuthorizationModes(o.authorizationMode); // a bad list is the flag's error, before anything starts
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
      const nodeCount = Number(o.nodes);
      if (!Number.isInteger(nodeCount) || nodeCount < 0 || nodeCount > MAX_LOCAL_NODES) throw new ConfigError(`--nodes: "${o.nodes}" is not an integer from 0 to ${MAX_LOCAL_NODES}`);
      const dir = path.resolve(o.dir);
      claimUp(dir);
      const plan = new PortPlan(o.ports === 'free');
      const ports = o.ports === 'free' ? undefined : await plan.pairs(LOCAL_CLUSTER_PORTS.slice(0, n), 'store');
      const apiPorts = await plan.pairs(LOCAL_APISERVER_PORTS, 'apiserver');
      const schedulerPorts = await plan.ports(LOCAL_SCHEDULER_PORTS, 'scheduler');
      const schedulerMetricsPorts = await plan.ports(LOCAL_SCHEDULER_METRICS_PORTS, 'scheduler metrics');
      const balancerPort = await plan.port(LOCAL_API_BALANCER_PORT, 'apiserver load balancer');
      const cmMetricsPorts = await plan.ports(LOCAL_CONTROLLER_MANAGER_METRICS_PORTS, 'controller-manager metrics');
      const dnsPorts = { dns: await plan.port(LOCAL_DNS_PORTS.dns, 'dns'), grpc: await plan.port(LOCAL_DNS_PORTS.grpc, 'dns status'), metrics: await plan.port(LOCAL_DNS_PORTS.metrics, 'dns metrics') };
      const ingressPorts = {
        http: await plan.port(LOCAL_INGRESS_PORTS.http, 'ingress HTTP'),
        https: await plan.port(LOCAL_INGRESS_PORTS.https, 'ingress HTTPS'),
        grpc: await plan.port(LOCAL_INGRESS_PORTS.grpc, 'ingress status'),
        metrics: await plan.port(LOCAL_INGRESS_PORTS.metrics, 'ingress metrics'),
      };
      const nodePorts: LocalNodePorts[] = [];
      for (let i = 0; i < nodeCount; i++) {
        const at = (base: number) => base + NODE_PORT_STRIDE * i;
        nodePorts.push({ kubelet: await plan.port(at(NODE_PORT_BASE.kubelet), `node-${i + 1} kubelet`), grpc: await plan.port(at(NODE_PORT_BASE.grpc), `node-${i + 1} status`), metrics: await plan.port(at(NODE_PORT_BASE.metrics), `node-${i + 1} metrics`) });
      }
      const runsProxy = localClusterRunsProxy(o.runtime, nodeCount);
      const proxyPorts = runsProxy
        ? { grpc: await plan.port(LOCAL_PROXY_PORTS.grpc, 'proxy status'), metrics: await plan.port(LOCAL_PROXY_PORTS.metrics, 'proxy metrics'), healthz: await plan.port(LOCAL_PROXY_PORTS.healthz, 'proxy healthz') }
        : undefined;
      const cluster = await LocalStoreCluster.create({ members: n, dir, ports });
      say(`Starting a ${n}-member Bosun store cluster (data and logs in ${dir})`);
      const apiservers: LocalApiServer[] = [];
      const controllerManagers: LocalControllerManager[] = [];
      const schedulers: LocalScheduler[] = [];
      let ingress: LocalIngress | undefined;
      let nodeAgents: LocalNodeAgent[] = [];
      let dns: LocalDns | undefined;
      let proxy: LocalProxy | undefined;
      let stopping = false;
      const supervisor = new Supervisor(say, undefined, path.join(dir, UP_PID_DIR));
      let balancer: TcpBalancer | undefined;
      let renewer: CertRenewer | undefined;
      const stop = async (code: number) => {
        if (stopping) return;
        stopping = true;
        supervisor.stop();
        renewer?.stop();
        say('\nStopping the cluster…');
        await balancer?.close();
        await Promise.all(nodeAgents.map((a) => a.kill('SIGTERM')));
        await removeNodeContainers(nodeAgents);
        await dns?.kill('SIGTERM');
        await proxy?.kill('SIGTERM');
        await proxy?.cleanup().catch((err: Error) => say(`  proxy cleanup: ${err.message}`));
        await Promise.all(schedulers.map((sc) => sc.kill('SIGTERM')));
        await ingress?.kill('SIGTERM');
        await Promise.all(controllerManagers.map((cm) => cm.kill('SIGTERM')));
        await Promise.all(apiservers.map((a) => a.kill('SIGTERM')));
        await cluster.stop();
        releaseUp(dir);
        say('Stopped.');
        process.exit(code);
      };
      process.on('SIGINT', () => void stop(0));
      process.on('SIGTERM', () => void stop(0));
      cluster.startAll();
      for (const m of cluster.members) say(`  ${m.name}: starting (client ${m.clientUrl}, peer port ${m.peerPort}, log ${m.logFile})`);
      let leaderId: number;
      try {
        leaderId = await cluster.waitReady((event) => say(`  ${event}`), startTimeoutMs);
      } catch (err) {
        say(`\nThe cluster did not come up: ${err instanceof Error ? err.message : err}`);
        await stop(1);
        return;
      }
      const leader = await cluster.leader();
      say(`  leader elected: ${leader?.name ?? leaderId.toString(16)} (member id ${leaderId.toString(16)})`);
      // One CA and one token for the whole cluster, made before the apiservers share them (the
      // store cluster made the CA in this folder already, for its certificates; the apiservers reuse it).
      const certDir = path.join(dir, 'pki');
      const tls = ensureClusterTls(certDir);
      const tokenFile = path.join(dir, 'tokens.csv');
      const token = ensureTokenFile(tokenFile);
      // Secrets are encrypted at rest with a key made at first start (kept beside the CA).
      const encryptionConfig = path.join(certDir, ENCRYPTION_CONFIG_FILE);
      ensureEncryptionConfig(encryptionConfig);
      // One ServiceAccount signing key for every apiserver, so each accepts the others' tokens.
      const serviceAccountKey = ensureServiceAccountKey(path.join(certDir, SERVICE_ACCOUNT_KEY_FILE));
      for (const [i, [httpsPort, grpcPort]] of apiPorts.entries()) {
        const https = { port: httpsPort, certDir, tokenFile };
        const extra = ['--encryption-provider-config', encryptionConfig, '--service-account-signing-key-file', serviceAccountKey, '--authorization-mode', o.authorizationMode, ...cluster.apiserverTlsArgs()];
        apiservers.push(new LocalApiServer(`apiserver-${i + 1}`, grpcPort, path.join(dir, 'logs', `apiserver-${i + 1}.log`), cluster.endpoints, https, process.env, extra));
      }
      // Each component's own identity: its token joins the token file before the apiservers read it.
      const kubeconfigs = writeComponentKubeconfigs({
        dir,
        tokenFile,
        grpcEndpoints: apiservers.map((a) => a.grpcEndpoint),
        server: apiservers[0]!.httpsUrl,
        caCert: tls.caCert,
        nodeNames: localNodeNames(nodeCount),
        certDir, // every component authenticates with a client certificate of the cluster CA
      });
      say(`  component kubeconfigs (${[...kubeconfigs.keys()].join(', ')}) in ${path.join(dir, COMPONENT_KUBECONFIG_DIR)}`);
      // Certificates are renewed before they expire while the cluster runs; every component follows its files.
      renewer = new CertRenewer({
        dirs: [certDir, path.join(certDir, STORE_PKI_SUBDIR)],
        onChecked: (reports) => {
          // The component kubeconfigs embed their client certificates: given the renewed ones.
          if (reports.some((r) => r.dir === certDir && r.renewed.length > 0)) refreshKubeconfigClientCerts(dir, certDir);
          for (const r of reports) {
            const where = path.relative(dir, r.dir);
            if (r.renewed.length > 0) say(`  certificates renewed in ${where}: ${r.renewed.join(', ')}`);
            for (const f of r.failed) say(`  certificate ${where}/${f.name} not renewed: ${f.error}`);
          }
        },
        onError: (err) => say(`  certificate renewal failed: ${err.message}`),
      });
      renewer.start();
      for (const a of apiservers) {
        a.start();
        say(`  ${a.name}: starting (pid ${a.pid ?? '?'}, ${a.httpsUrl}, gRPC ${a.grpcEndpoint}, log ${a.logFile})`);
      }
      try {
        await Promise.all(apiservers.map((a) => a.waitReady(startTimeoutMs)));
      } catch (err) {
        say(`\nAn apiserver did not come up: ${err instanceof Error ? err.message : err}`);
        await stop(1);
        return;
      }
      for (const a of apiservers) say(`  ${a.name}: serving the API on ${a.httpsUrl} and ${a.grpcEndpoint} (gRPC)`);
      balancer = new TcpBalancer(apiPorts.map(([httpsPort]) => ({ host: '127.0.0.1', port: httpsPort })));
      await balancer.listen(balancerPort);
      const serverUrl = `https://127.0.0.1:${balancerPort}`;
      say(`  load balancer: ${serverUrl} → ${apiservers.map((a) => a.httpsUrl).join(', ')}`);
      const cmKubeconfig = kubeconfigs.get(KUBE_CONTROLLER_MANAGER.component)!;
      for (const [i, metricsPort] of cmMetricsPorts.entries()) {
        const cm = new LocalControllerManager(`controller-manager-${i + 1}`, path.join(dir, 'logs', `controller-manager-${i + 1}.log`), { kubeconfig: cmKubeconfig, metricsPort }, ['--root-ca-file', path.join(certDir, 'ca.crt')]);
        controllerManagers.push(cm);
        cm.start();
        say(`  ${cm.name}: started (pid ${cm.pid ?? '?'}, kubeconfig ${cmKubeconfig}, metrics http://127.0.0.1:${metricsPort}/metrics, log ${cm.logFile})`);
      }
      for (const [i, port] of schedulerPorts.entries()) {
        const client = { kubeconfig: kubeconfigs.get(KUBE_SCHEDULER.component)!, metricsPort: schedulerMetricsPorts[i]!, servingTls: componentServingTls(certDir, `scheduler-${i + 1}`) };
        const sc = new LocalScheduler(`scheduler-${i + 1}`, port, path.join(dir, 'logs', `scheduler-${i + 1}.log`), [], [], process.env, client);
        schedulers.push(sc);
        sc.start();
        say(`  ${sc.name}: started (pid ${sc.pid ?? '?'}, status API gRPC ${sc.grpcEndpoint}, metrics ${sc.metricsUrl}, log ${sc.logFile})`);
      }
      dns = new LocalDns('dns', dnsPorts, path.join(dir, 'logs', 'dns.log'), { kubeconfig: kubeconfigs.get(COREDNS.component)!, metricsPort: dnsPorts.metrics, servingTls: componentServingTls(certDir, 'dns') }, [], process.env, hostAddress());
      dns.start();
      say(`  ${dns.name}: started (pid ${dns.pid ?? '?'}, DNS ${dns.dnsEndpoint} UDP+TCP behind the kube-dns Service 10.43.0.10:53, status API gRPC ${dns.grpcEndpoint}, log ${dns.logFile})`);
      const ingressClient = { kubeconfig: kubeconfigs.get(BOSUN_INGRESS.component)!, metricsPort: ingressPorts.metrics, servingTls: componentServingTls(certDir, 'ingress') };
      ingress = new LocalIngress('ingress', ingressPorts, path.join(dir, 'logs', 'ingress.log'), [], '127.0.0.1', [], process.env, ingressClient);
      ingress.start();
      say(`  ${ingress.name}: started (pid ${ingress.pid ?? '?'}, HTTP 127.0.0.1:${ingressPorts.http}, HTTPS/HTTP2 127.0.0.1:${ingressPorts.https}, status API gRPC ${ingress.grpcEndpoint}, log ${ingress.logFile})`);
      const kubeconfig = path.join(dir, 'kubeconfig');
      writeHttpKubeconfig(kubeconfig, {
        clusterName: 'bosun-local',
        server: serverUrl,
        caCert: tls.caCert,
        token,
        grpcEndpoints: apiservers.map((a) => a.grpcEndpoint),
        namespace: 'default',
      });
      if (nodeCount > 0) {
        try {
          await ensureSampleImages(o.runtime, say);
        } catch (err) {
          say(`  sample images: not built (${err instanceof Error ? err.message.split('\n')[0] : err}); pods need images imported with "bosun image import"`);
        }
        nodeAgents = localNodeAgents(dir, o.runtime, nodePorts, (node) => kubeconfigs.get(nodeIdentity(node).component)!, certDir, true);
        for (const a of nodeAgents) {
          a.start();
          say(`  ${a.name}: node agent started (pid ${a.pid ?? '?'}, ${o.runtime} runtime, kubelet port ${a.options.kubeletPort}, status API gRPC ${a.grpcEndpoint}, log ${a.logFile})`);
        }
        if (proxyPorts) {
          const client = { kubeconfig: kubeconfigs.get(KUBE_PROXY.component)!, metricsPort: proxyPorts.metrics, servingTls: componentServingTls(certDir, 'proxy') };
          proxy = new LocalProxy({ nodeNames: nodeAgents.map((a) => a.options.nodeName), healthzPort: proxyPorts.healthz }, proxyPorts.grpc, path.join(dir, 'logs', 'proxy.log'), [], client);
          proxy.start();
          say(`  proxy: started for ${nodeAgents.length} node(s) (pid ${proxy.pid ?? '?'}, status API gRPC ${proxy.grpcEndpoint}, metrics ${proxy.metricsUrl}, log ${proxy.logFile})`);
        } else if (nodeCount > 0) {
          say(`  proxy: not started (Services' ClusterIPs and NodePorts need pods with their own network and root; runtime ${o.runtime}, uid ${process.getuid?.() ?? '?'})`);
        }
        const admin = new GrpcApiClient({ endpoints: apiservers.map((a) => a.grpcEndpoint), token, tls: { caCert: tls.caCert } });
        try {
          await waitNodesReady(admin, nodeAgents.map((a) => a.options.nodeName), NODES_READY_TIMEOUT_MS, say);
        } catch (err) {
          say(`\nThe nodes did not come up: ${err instanceof Error ? err.message : err}; see their logs in ${path.join(dir, 'logs')}`);
          admin.close();
          await stop(1);
          return;
        }
        admin.close();
      }
      say('');
      say(`The Bosun cluster is up: a replicated store, two apiservers, two controller-managers, two schedulers and ${nodeCount} node(s). Try (in another terminal):`);
      say(`  export KUBECONFIG=${kubeconfig}`);
      say('  kubectl get nodes -o wide && kubectl api-resources');
      say('  kubectl create deployment web --image=busybox --replicas=2 -- httpd -f -p 8080 -h /etc   # busybox is built offline on first start');
      say('  kubectl get pods -o wide && kubectl logs deploy/web && kubectl exec deploy/web -- ls /');
      say('  kubectl port-forward deploy/web 8080:8080 & curl http://127.0.0.1:8080/hostname   # the pod answers with its name');
      say('  ./bin/bosun.js get all -A          # the bosun CLI reads the same kubeconfig');
      say('  ./bin/bosun.js create namespace demo');
      say('  ./bin/bosun.js apply -f <manifest.yaml> -n demo && ./bin/bosun.js get all -n demo');
      say(`  kubectl expose deployment web --port 80 --target-port 8080 --type NodePort`);
      if (proxy) say(`  curl http://$(kubectl get svc web -o jsonpath='{.spec.clusterIP}')/hostname   # the ClusterIP, balanced by the proxy`);
      if (proxy) say(`  curl http://${hostAddress()}:$(kubectl get svc web -o jsonpath='{.spec.ports[0].nodePort}')/hostname   # the NodePort on the nodes' address`);
      say(`  kubectl create ingress web --rule='web.local/*=web:80' && curl -H 'Host: web.local' http://127.0.0.1:${ingressPorts.http}/hostname   # the ingress (HTTPS/HTTP2 on ${ingressPorts.https})`);
      say(`  dig @${dns.host} -p ${dnsPorts.dns} +short web.default.svc.cluster.local   # the cluster DNS (pods ask 10.43.0.10: kubectl exec deploy/web -- nslookup web)`);
      const cacert = `-cacert ${path.join(certDir, 'ca.crt')}`; // every gRPC server of the cluster is TLS with a certificate of its CA
      if (proxy) say(`  grpcurl ${cacert} ${proxy.grpcEndpoint} bosun.proxy.v1.ProxyStatus/GetStatus   # the proxy's routing table`);
      say(`  grpcurl ${cacert} -H "authorization: Bearer $(head -1 ${tokenFile} | cut -d, -f1)" ${apiservers[0]!.grpcEndpoint} list`);
      say(`  grpcurl ${cacert} ${schedulers[0]!.grpcEndpoint} bosun.scheduler.v1.SchedulerStatus/Status   # leader, queues, recent decisions`);
      say(`  curl -s ${schedulers[0]!.metricsUrl} | grep ^scheduler_   # Prometheus metrics (controller-managers: ports ${cmMetricsPorts.join(', ')})`);
      say('');
      say('The store speaks the etcd v3 API:');
      // Mutual TLS: etcdctl presents the apiservers' client certificate (the store accepts no other CA's).
      say(`  export ${Object.entries(cluster.etcdctlEnv()).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      say('  etcdctl get --prefix /registry --keys-only');
      say('  etcdctl member list -w table && etcdctl endpoint status -w table');
      say('');
      say('Press Ctrl-C (or run "./bin/bosun.js down" elsewhere) to stop the cluster; its data stays in ' + dir + ' and the next start resumes it.');
      // Restart members and components that die while the cluster runs (e.g. killed by hand).
      supervisor.watch(...cluster.members, ...apiservers, ...controllerManagers, ...schedulers, dns, ingress, ...nodeAgents, ...(proxy ? [proxy] : []));
      await new Promise<never>(() => undefined);
    });
}
