/**
 * bench/proxy/throughput — what a Service costs on the data path: requests/s (keep-alive) and
 * p99 with `wrk`, new connections/s (`Connection: close`), and bulk TCP throughput with `iperf3`,
 * each straight to the pod and through its ClusterIP on the kernel path (nftables DNAT) and on
 * the userspace path (the proxy relaying), side by side in one run. Targets (issue 15): kernel
 * ≥ 0.9× direct, userspace ≥ 0.5× direct.
 *
 * Everything runs in network namespaces of the run's own (a "node" with a bridge, a server pod
 * and a client pod — the test-namespace helper of the nftables tests), so no host rule or route
 * changes and no packet leaves them. Needs root, nft, wrk and iperf3 (installed from Debian's
 * packages when missing). Every load is bounded in time.
 * Usage: node dist/bench/proxy/throughput.js [--seconds N]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import pino from 'pino';
import type { Service } from '../../lib/api/types/core';
import type { EndpointSlice } from '../../lib/api/types/discovery';
import { ServiceTable } from '../../lib/network/service-table';
import { runCommand } from '../../lib/run-command';
import { NftablesDataPath } from '../../services/proxy/nftables/nftables-data-path';
import { canUseKernel, TestNode } from '../../services/proxy/nftables/testing/test-namespace';
import { ensureDebianPackages } from '../common/debian-packages';

const DEFAULT_SECONDS = 8;
const NODE_GATEWAY = '10.42.250.1';
const SERVER_IP = '10.42.250.2';
const CLIENT_IP = '10.42.250.3';
const CLUSTER_IP = '10.43.250.10';
const SERVICE_CIDR = '10.43.250.0/24';
const CLUSTER_CIDR = '10.42.250.0/24';
const HTTP_PORT = 8080;
const IPERF_PORT = 5201;
const SERVICE_HTTP_PORT = 80;
const WRK_CONNECTIONS = 32;
/** Issue 15's targets, as fractions of the direct figure. */
const TARGETS = { nftables: 0.9, userspace: 0.5 } as const;

const say = (line: string) => process.stdout.write(`${line}\n`);

function argNumber(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} wants a positive integer`);
  return n;
}

/** The Service and its one endpoint, as the informers would deliver them. */
const SERVICE: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: 'bench', name: 'web' },
  spec: { clusterIP: CLUSTER_IP, clusterIPs: [CLUSTER_IP], ports: [{ name: 'http', port: SERVICE_HTTP_PORT, protocol: 'TCP' }, { name: 'iperf', port: IPERF_PORT, protocol: 'TCP' }] },
};
const SLICE: EndpointSlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: 'bench', name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  endpoints: [{ addresses: [SERVER_IP], conditions: { ready: true } }],
  ports: [{ name: 'http', port: HTTP_PORT, protocol: 'TCP' }, { name: 'iperf', port: IPERF_PORT, protocol: 'TCP' }],
};

function benchTable(): ServiceTable {
  const table = new ServiceTable();
  table.setService(SERVICE);
  table.setSlice(SLICE);
  return table;
}

/** A process in `netns`, killed by stop(); resolves once it printed `ready` (or at once). */
function spawnIn(netns: string, command: string, args: string[], ready?: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (!ready) return resolve(child);
    const timer = setTimeout(() => reject(new Error(`${command} in ${netns} not ready within 15 s`)), 15_000);
    const check = (chunk: Buffer) => {
      if (ready.test(chunk.toString())) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} in ${netns} exited with ${code}`));
    });
  });
}

const HTTP_SERVER = `require('http').createServer((q, s) => s.end('ok\\n')).listen(${HTTP_PORT}, '0.0.0.0', () => console.log('ready'));`;

/** The userspace path: the proxy's data path, in the node namespace, over the same table. */
const USERSPACE_CHILD = (dir: string) => `
const pino = require('pino');
const { UserspaceDataPath } = require(${JSON.stringify(`${dir}/services/proxy/userspace/userspace-data-path`)});
const { ServiceTable } = require(${JSON.stringify(`${dir}/lib/network/service-table`)});
const [service, slice] = JSON.parse(process.argv[1]);
const table = new ServiceTable(); table.setService(service); table.setSlice(slice);
const path = new UserspaceDataPath({ localNodes: new Set(), serviceCidr: '${SERVICE_CIDR}', clusterCidr: '${CLUSTER_CIDR}', nodePortAddresses: [], logger: pino({ level: 'warn' }), manageLocalRoute: true });
path.start().then(() => path.sync(table, 'all')).then(() => console.log('ready'));
`;

interface Figures {
  rps: number;
  p99Ms: number;
  connPerSec: number;
  gbits: number;
}

/** wrk's requests/s and p99 (ms) from its --latency output. */
function parseWrk(out: string): { rps: number; p99Ms: number } {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const m = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const scale = m?.[2] === 'us' ? 0.001 : m?.[2] === 's' ? 1000 : 1;
  return { rps, p99Ms: m ? Number(m[1]) * scale : NaN };
}

async function measure(client: string, host: string, httpPort: number, iperfPort: number, seconds: number): Promise<Figures> {
  const url = `http://${host}:${httpPort}/`;
  const keepAlive = parseWrk(await runCommand('ip', ['netns', 'exec', client, 'wrk', '-t1', `-c${WRK_CONNECTIONS}`, `-d${seconds}s`, '--latency', url]));
  const closing = parseWrk(await runCommand('ip', ['netns', 'exec', client, 'wrk', '-t1', '-c8', `-d${seconds}s`, '-H', 'Connection: close', url]));
  const iperf = JSON.parse(await runCommand('ip', ['netns', 'exec', client, 'iperf3', '-c', host, '-p', String(iperfPort), '-t', String(seconds), '-J'])) as { end?: { sum_received?: { bits_per_second?: number } } };
  return { rps: keepAlive.rps, p99Ms: keepAlive.p99Ms, connPerSec: closing.rps, gbits: (iperf.end?.sum_received?.bits_per_second ?? NaN) / 1e9 };
}

function row(name: string, f: Figures, direct: Figures | undefined, target?: number): string {
  const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : '');
  const cells = [
    name.padEnd(22),
    `${f.rps.toFixed(0)}/s ${ratio(f.rps, direct?.rps)}`.padEnd(20),
    `${f.p99Ms.toFixed(2)} ms`.padEnd(12),
    `${f.connPerSec.toFixed(0)}/s ${ratio(f.connPerSec, direct?.connPerSec)}`.padEnd(18),
    `${f.gbits.toFixed(2)} Gbit/s ${ratio(f.gbits, direct?.gbits)}`.padEnd(24),
    target ? `≥ ${target}× direct` : 'anchor',
  ];
  return `| ${cells.join(' | ')} |`;
}

async function main(): Promise<void> {
  const seconds = argNumber('--seconds', DEFAULT_SECONDS);
  if (!(await canUseKernel())) throw new Error('bench/proxy/throughput needs root with nft and conntrack (scripts/ensure-test-deps.sh installs them)');
  ensureDebianPackages({ wrk: 'wrk', iperf3: 'iperf3' }, say);
  const node = await TestNode.create(NODE_GATEWAY, 24, ['10.42.0.0/16', '10.43.0.0/16']);
  const children: ChildProcess[] = [];
  const logger = pino({ level: 'warn' });
  try {
    const server = await node.addPod(SERVER_IP);
    const client = await node.addPod(CLIENT_IP);
    children.push(await spawnIn(server.netns, process.execPath, ['-e', HTTP_SERVER], /ready/));
    children.push(await spawnIn(server.netns, 'iperf3', ['-s', '-p', String(IPERF_PORT), '--forceflush'], /listening/i));
    say(`bench/proxy/throughput: ${seconds} s per figure; wrk -t1 -c${WRK_CONNECTIONS} (keep-alive), -c8 with Connection: close; iperf3 one stream`);
    const direct = await measure(client.netns, SERVER_IP, HTTP_PORT, IPERF_PORT, seconds);

    const table = benchTable();
    const nft = new NftablesDataPath({ localNodes: new Set(), serviceCidr: SERVICE_CIDR, clusterCidr: CLUSTER_CIDR, nodePortAddresses: [], logger, netns: node.netns });
    await nft.start();
    await nft.sync(table, 'all');
    const kernel = await measure(client.netns, CLUSTER_IP, SERVICE_HTTP_PORT, IPERF_PORT, seconds);
    await nft.cleanup();

    const objects = JSON.stringify([SERVICE, SLICE]);
    children.push(await spawnIn(node.netns, process.execPath, ['-e', USERSPACE_CHILD(`${__dirname}/../..`), objects], /ready/));
    const userspace = await measure(client.netns, CLUSTER_IP, SERVICE_HTTP_PORT, IPERF_PORT, seconds);

    say('');
    say('| path                   | requests/s (keep-alive) | p99          | connections/s      | TCP throughput           | target |');
    say('|---|---|---|---|---|---|');
    say(row('direct to the pod', direct, undefined));
    say(row('ClusterIP, nftables', kernel, direct, TARGETS.nftables));
    say(row('ClusterIP, userspace', userspace, direct, TARGETS.userspace));
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await node.delete();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/proxy/throughput: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
