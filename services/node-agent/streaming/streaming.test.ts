/**
 * Through the real thing: a real apiserver (over a real store) proxies pods/log, exec and
 * portforward to this streaming server running containers as host processes, and the real
 * kubectl 1.32 drives it — logs (-f, --tail, --timestamps, --previous), exec (with stdin, exit
 * codes), port-forward to a TCP server — plus the errors Kubernetes gives.
 */
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as https from 'node:https';
import { once } from 'node:events';
import * as tls from 'node:tls';
import { ensureApiserverKubeletClientCert, ensureNodeServingCert } from '../../../lib/pki/component-certs';
import { SpdySession } from '../../../lib/streaming/spdy-session';
import { runCli } from '../../../cli/apiserver-commands';
import { TwoDoorApiServer } from '../../apiserver/test-api-server';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, type PodSandboxConfig } from '../runtime/runtime';
import { startStreamingServer, type StreamingServer } from './streaming-server';
import { HostProcessRuntime } from './testing/host-process-runtime';

const NODE = 'stream-node';
/** Longest a condition is waited for. */
const WAIT_MS = 20_000;

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A long-running kubectl (logs -f, port-forward) with its output collected. */
class KubectlProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly child: ChildProcessWithoutNullStreams;
  constructor(t: TwoDoorApiServer, args: string[]) {
    this.child = spawn('kubectl', ['--kubeconfig', t.kubeconfig, '--cache-dir', path.join(t.dir, 'kube-cache'), ...args], { env: { ...process.env, HOME: t.dir } });
    this.child.stdout.on('data', (d) => (this.stdout += d));
    this.child.stderr.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }
}

describe('node agent streaming server through the apiserver and kubectl', function () {
  this.timeout(120_000);
  let t: TwoDoorApiServer;
  let runtime: HostProcessRuntime;
  let server: StreamingServer;
  let logDir: string;
  let sandboxId: string;
  let sandboxConfig: PodSandboxConfig;

  const labelsOf = (pod: string, container?: string): Record<string, string> => ({
    [LABEL_POD_NAMESPACE]: 'default',
    [LABEL_POD_NAME]: pod,
    [LABEL_POD_UID]: `${pod}-uid`,
    ...(container ? { [LABEL_CONTAINER_NAME]: container } : {}),
  });

  async function runContainer(name: string, attempt: number, script: string, stdin = false): Promise<string> {
    const id = await runtime.createContainer(
      sandboxId,
      {
        metadata: { name, attempt },
        image: 'host',
        command: ['sh', '-c', script],
        args: [],
        envs: [],
        mounts: [],
        labels: labelsOf('web', name),
        annotations: {},
        logPath: `${name}/${attempt}.log`,
        stdin,
        stdinOnce: false,
        tty: false,
        linux: { resources: {}, security: {} },
      },
      sandboxConfig,
    );
    await runtime.startContainer(id);
    return id;
  }

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-streaming-', { grpcTls: true }); // the CLI dials the kubeconfig's CA, as against the apiserver process
    runtime = new HostProcessRuntime();
    const tls = ensureNodeServingCert(path.join(t.dir, 'pki'), NODE, []);
    server = await startStreamingServer({ runtime, port: 0, host: '127.0.0.1', tls });
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: server.port } } },
    };
    expect((await t.request('POST', '/api/v1/nodes', { body: node })).status).to.equal(201);
    const pod = (name: string, containers: string[], nodeName?: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName, containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
    });
    for (const [name, containers] of [['web', ['app', 'echo', 'waiting', 'done']], ['solo', ['main']]] as const) {
      const created = await t.request('POST', '/api/v1/namespaces/default/pods', { body: pod(name, [...containers], NODE) });
      expect(created.status, created.body).to.equal(201);
    }
    expect((await t.request('POST', '/api/v1/namespaces/default/pods', { body: pod('unbound', ['main']) })).status).to.equal(201);
    // kubectl port-forward checks the phase itself; no agent writes it here.
    const running = await t.request('PATCH', '/api/v1/namespaces/default/pods/web/status', {
      body: { status: { phase: 'Running' } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(running.status, running.body).to.equal(200);

    logDir = path.join(t.dir, 'pods', 'default_web');
    sandboxConfig = {
      metadata: { name: 'web', namespace: 'default', uid: 'web-uid', attempt: 0 },
      hostname: 'web',
      logDirectory: logDir,
      portMappings: [],
      labels: labelsOf('web'),
      annotations: {},
      linux: { hostNetwork: true },
    };
    sandboxId = await runtime.runPodSandbox(sandboxConfig);
    // `app`: an earlier attempt that said "first life", the current one logs three lines and keeps running.
    const first = await runContainer('app', 0, 'echo first life; exit 2');
    await waitFor('the first attempt to exit', async () => (await runtime.containerStatus(first)).state === 'exited');
    await runContainer('app', 1, 'echo one; echo two; printf "three"; sleep 600');
    await runContainer('echo', 0, 'cat', true);
    await waitFor('app logs', () => fs.existsSync(path.join(logDir, 'app/1.log')) && fs.readFileSync(path.join(logDir, 'app/1.log'), 'utf8').includes('two'));
  });

  after(async () => {
    try {
      await runtime?.close();
      await server?.close();
    } finally {
      await t?.stop();
    }
  });

  it('kubectl logs prints the container log, with --tail, --timestamps and --previous', async () => {
    const all = await t.kubectl(['logs', 'web', '-c', 'app']);
    expect(all.code, all.stderr).to.equal(0);
    expect(all.stdout).to.equal('one\ntwo\n');
    const tail = await t.kubectl(['logs', 'web', '-c', 'app', '--tail=1']);
    expect(tail.stdout).to.equal('two\n');
    const stamped = await t.kubectl(['logs', 'web', '-c', 'app', '--timestamps']);
    expect(stamped.stdout).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z one\n\S+ two\n$/);
    const previous = await t.kubectl(['logs', 'web', '-c', 'app', '--previous']);
    expect(previous.stdout).to.equal('first life\n');
    const since = await t.kubectl(['logs', 'web', '-c', 'app', '--since=1h']);
    expect(since.stdout).to.equal('one\ntwo\n');
  });

  it('kubectl logs gives Kubernetes errors: unknown container, container not started, no previous, missing pod', async () => {
    const unknown = await t.kubectl(['logs', 'web', '-c', 'nope']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain('container nope is not valid for pod web');
    const waiting = await t.kubectl(['logs', 'web', '-c', 'waiting']);
    expect(waiting.stderr).to.contain('Error from server (BadRequest): container "waiting" in pod "web" is waiting to start: ContainerCreating');
    const noPrevious = await t.kubectl(['logs', 'solo', '--previous']);
    expect(noPrevious.stderr).to.contain('previous terminated container "main" in pod "solo" not found');
    const missing = await t.kubectl(['logs', 'ghost']);
    expect(missing.stderr).to.contain('pods "ghost" not found');
    const unbound = await t.kubectl(['logs', 'unbound']);
    expect([unbound.code, unbound.stdout]).to.deep.equal([0, '']);
  });

  it('kubectl logs -f streams new lines as they come and ends when the container exits', async () => {
    const trigger = path.join(t.dir, 'go-on');
    await runContainer('done', 0, `echo started; while [ ! -e ${trigger} ]; do sleep 0.05; done; echo finished`);
    const follow = new KubectlProcess(t, ['logs', '-f', 'web', '-c', 'done']);
    await waitFor('the first line', () => follow.stdout.includes('started\n'));
    expect(follow.stdout).to.equal('started\n');
    fs.writeFileSync(trigger, '');
    expect(await follow.exited, follow.stderr).to.equal(0);
    expect(follow.stdout).to.equal('started\nfinished\n');
  });

  it('kubectl exec runs a command, feeds stdin with -i, and exits with the command\'s code', async () => {
    const ls = await t.kubectl(['exec', 'web', '-c', 'app', '--', 'ls', '/']);
    expect(ls.code, ls.stderr).to.equal(0);
    expect(ls.stdout.split('\n')).to.include('etc');
    const cat = await t.kubectl(['exec', '-i', 'web', '-c', 'app', '--', 'sh', '-c', 'tr a-z A-Z; echo err >&2'], 'hello stdin\n');
    expect(cat.code, cat.stderr).to.equal(0);
    expect(cat.stdout).to.equal('HELLO STDIN\n');
    expect(cat.stderr).to.equal('err\n');
    const failing = await t.kubectl(['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'exit 3']);
    expect(failing.code).to.equal(3);
    expect(failing.stderr).to.contain('command terminated with exit code 3');
  });

  it('kubectl exec into a container that does not run, or a pod on no node, is refused with a message', async () => {
    const waiting = await t.kubectl(['exec', 'web', '-c', 'waiting', '--', 'true']);
    expect(waiting.code).to.equal(1);
    expect(waiting.stderr).to.contain('is waiting to start: ContainerCreating');
    const unbound = await t.kubectl(['exec', 'unbound', '--', 'true']);
    expect(unbound.stderr).to.contain('pod unbound does not have a host assigned');
  });

  it('kubectl attach -i joins the running container\'s stdin and stdout', async () => {
    const attach = await t.kubectl(['attach', '-i', 'web', '-c', 'echo'], 'attached line\n');
    expect(attach.code, attach.stderr).to.equal(0);
    expect(attach.stdout).to.contain('attached line\n');
  });

  it('a node whose agent does not answer gives Kubernetes\' errors', async () => {
    const closedPort = await freePort();
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'dead-node' }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: closedPort } } } };
    expect((await t.request('POST', '/api/v1/nodes', { body: node })).status).to.equal(201);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: 'default' }, spec: { nodeName: 'dead-node', containers: [{ name: 'main', image: 'busybox' }] } };
    expect((await t.request('POST', '/api/v1/namespaces/default/pods', { body: pod })).status).to.equal(201);
    const logs = await t.kubectl(['logs', 'orphan']);
    expect(logs.code).to.equal(1);
    expect(logs.stderr).to.contain(`Get "https://127.0.0.1:${closedPort}/containerLogs/default/orphan/main": connect ECONNREFUSED`);
    const exec = await t.kubectl(['exec', 'orphan', '--', 'true']);
    expect(exec.code).to.equal(1);
    expect(exec.stderr).to.contain('error dialing backend: connect ECONNREFUSED');
  });

  it('kubectl port-forward reaches a TCP server of the pod', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const remotePort = (echo.address() as net.AddressInfo).port;
    const localPort = await freePort();
    const forward = new KubectlProcess(t, ['port-forward', 'pod/web', `${localPort}:${remotePort}`]);
    try {
      await waitFor('port-forward to listen', () => forward.stdout.includes('Forwarding from 127.0.0.1')).catch((err: Error) => {
        throw new Error(`${err.message}; kubectl printed: ${forward.stdout} ${forward.stderr}`);
      });
      for (const text of ['ping one', 'ping two']) {
        expect(await roundTrip(localPort, text)).to.equal(text);
      }
    } finally {
      forward.child.kill('SIGTERM');
      await forward.exited;
      echo.close();
    }
  });

  it('the agent also speaks plain SPDY/3.1 for port-forward (the fallback after a refused WebSocket)', async () => {
    const echo = net.createServer((sock) => sock.pipe(sock));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const remotePort = (echo.address() as net.AddressInfo).port;
    const client = ensureApiserverKubeletClientCert(path.join(t.dir, 'pki'));
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, cert: client.cert, key: client.key, ca: client.caCert, checkServerIdentity: () => undefined });
    try {
      await once(socket, 'secureConnect');
      socket.write('POST /portForward/default/web HTTP/1.1\r\nHost: node\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
      let head = Buffer.alloc(0);
      while (!head.includes('\r\n\r\n')) head = Buffer.concat([head, (await once(socket, 'data'))[0] as Buffer]);
      const end = head.indexOf('\r\n\r\n') + 4;
      expect(head.subarray(0, end).toString()).to.match(/^HTTP\/1\.1 101 /);
      socket.pause();
      if (head.length > end) socket.unshift(head.subarray(end));
      const session = new SpdySession(socket, 'client');
      socket.resume();
      const headers = (type: string) => ({ streamtype: [type], port: [String(remotePort)], requestid: ['0'] });
      session.openStream(headers('error')).end();
      const data = session.openStream(headers('data'));
      let got = '';
      data.on('data', (d) => (got += d));
      data.write('over plain spdy');
      await waitFor('the echo', () => got === 'over plain spdy');
      session.close();
    } finally {
      socket.destroy();
      echo.close();
    }
  });

  describe('bosun logs and bosun exec (the gRPC door)', () => {
    async function bosun(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
      let stdout = '';
      let stderr = '';
      const stdin = input === undefined ? undefined : (async function* () { yield input; })();
      // The connection flags go before the arguments: everything after `--` is the command.
      const code = await runCli([args[0]!, '--kubeconfig', t.kubeconfig, '--server', t.server.grpcAddress, ...args.slice(1)], {
        stdout: { write: (x: string) => (stdout += x) },
        stderr: { write: (x: string) => (stderr += x) },
        stdin,
      });
      return { code, stdout, stderr };
    }

    it('bosun logs prints the log with --tail, --timestamps and --previous, and Kubernetes errors', async () => {
      expect(await bosun(['logs', 'web', '-c', 'app'])).to.deep.equal({ code: 0, stdout: 'one\ntwo\n', stderr: '' });
      expect((await bosun(['logs', 'pod/web', '-c', 'app', '--tail', '1'])).stdout).to.equal('two\n');
      expect((await bosun(['logs', 'web', '-c', 'app', '--timestamps', '--tail', '1'])).stdout).to.match(/^\S+Z two\n$/);
      expect((await bosun(['logs', 'web', '-c', 'app', '--previous'])).stdout).to.equal('first life\n');
      const waiting = await bosun(['logs', 'web', '-c', 'waiting']);
      expect(waiting.code).to.equal(1);
      expect(waiting.stderr).to.equal('Error from server (BadRequest): container "waiting" in pod "web" is waiting to start: ContainerCreating\n');
      expect((await bosun(['logs', 'ghost'])).stderr).to.equal('Error from server (NotFound): pods "ghost" not found\n');
      expect((await bosun(['logs', 'web'])).stderr).to.contain('a container name must be specified for pod web, choose one of: [app echo waiting done]');
    });

    it('bosun exec runs a command with stdin and exits with its code', async () => {
      const upper = await bosun(['exec', 'web', '-c', 'app', '-i', '--', 'sh', '-c', 'tr a-z A-Z; echo oops >&2'], 'via grpc\n');
      expect(upper).to.deep.equal({ code: 0, stdout: 'VIA GRPC\n', stderr: 'oops\n' });
      expect((await bosun(['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'exit 3'])).code).to.equal(3);
      const refused = await bosun(['exec', 'unbound', '--', 'true']);
      expect(refused).to.deep.include({ code: 1, stderr: 'Error from server (BadRequest): pod unbound does not have a host assigned\n' });
    });
  });

  it('serves only callers with the apiserver client certificate', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: server.port, path: '/containerLogs/default/web/app', rejectUnauthorized: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).to.equal(401);
    expect(answer.body).to.contain('client certificate');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let got = '';
    socket.on('data', (d) => {
      got += d;
      if (got.length >= text.length) {
        socket.end();
        resolve(got);
      }
    });
    socket.on('error', reject);
  });
}
