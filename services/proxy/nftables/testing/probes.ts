/**
 * Servers and clients for real-kernel tests, run inside test namespaces with `ip netns exec`:
 * a TCP server that answers each connection with "<its own address> <the peer's address>" and
 * closes, and a client that makes N connections one after another and reports each outcome.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { runCommand } from '../../../../lib/run-command';

/** The probe servers' port. */
export const PROBE_PORT = 8080;
/** A connection that has not answered by then counts as TIMEOUT, ms. */
const CONNECT_TIMEOUT_MS = 3_000;
/** How long a server may take to listen, ms. */
const LISTEN_TIMEOUT_MS = 15_000;

const SERVER = `const [ip, port] = process.argv.slice(1);
require('net').createServer((s) => s.end(ip + ' ' + s.remoteAddress.replace(/^::ffff:/, '') + '\\n')).listen(Number(port), '0.0.0.0', () => console.log('listening'));`;

const CLIENT = `const net = require('net');
const [host, port, count, timeoutMs] = process.argv.slice(1);
const once = () => new Promise((resolve) => {
  const t = Date.now();
  const s = net.connect(Number(port), host);
  let data = '';
  const timer = setTimeout(() => { s.destroy(); resolve({ err: 'TIMEOUT', ms: Date.now() - t }); }, Number(timeoutMs));
  s.on('data', (c) => (data += c));
  s.on('end', () => { clearTimeout(timer); resolve({ ok: data.trim(), ms: Date.now() - t }); });
  s.on('error', (e) => { clearTimeout(timer); resolve({ err: e.code, ms: Date.now() - t }); });
});
(async () => { const out = []; for (let i = 0; i < Number(count); i++) out.push(await once()); console.log(JSON.stringify(out)); })();`;

/** One connection's outcome: the server's answer ("server-ip peer-ip"), or an error code. */
export interface ProbeResult {
  readonly ok?: string;
  readonly err?: string;
  readonly ms: number;
}

/** Starts a probe server in `netns` answering as `ip`; resolves once it listens. Stop it with `.kill()`. */
export function startProbeServer(netns: string, ip: string, port = PROBE_PORT): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', SERVER, ip, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`probe server in ${netns} did not listen within ${LISTEN_TIMEOUT_MS} ms`));
    }, LISTEN_TIMEOUT_MS);
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`probe server in ${netns} exited with ${code}`));
    });
  });
}

/** Makes `count` connections to host:port from `netns`, one after another. */
export async function probe(netns: string, host: string, port: number, count = 1): Promise<ProbeResult[]> {
  const out = await runCommand('ip', ['netns', 'exec', netns, process.execPath, '-e', CLIENT, host, String(port), String(count), String(CONNECT_TIMEOUT_MS)]);
  return JSON.parse(out) as ProbeResult[];
}

const UDP_SENDER = `const dgram = require('dgram');
const [host, port, count] = process.argv.slice(1);
let left = Number(count);
for (let i = 0; i < Number(count); i++) {
  const s = dgram.createSocket('udp4');
  s.send('probe', Number(port), host, () => { s.close(); if (--left === 0) console.log('sent'); });
}`;

/** Sends one datagram from each of `count` fresh sockets (so `count` UDP flows) from `netns` to host:port. */
export async function sendUdpFlows(netns: string, host: string, port: number, count: number): Promise<void> {
  await runCommand('ip', ['netns', 'exec', netns, process.execPath, '-e', UDP_SENDER, host, String(port), String(count)]);
}
