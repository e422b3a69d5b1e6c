/**
 * exec, attach, execSync and port-forward through the engine's exec and attach APIs. Both hand
 * back a hijacked connection: raw bytes with a TTY, otherwise stdout and stderr multiplexed in
 * 8-byte-header frames, which are split into two streams here.
 *
 * The engine has no "kill exec" call; ending an exec (close(), an execSync timeout) kills its
 * process by the host pid the engine reports (the runtime runs as root on the engine's host).
 */
import { Duplex, PassThrough, Readable, Writable } from 'node:stream';
import type { Socket } from 'node:net';
import type Dockerode from 'dockerode';
import { ExecSyncResult, RuntimeError, StreamOptions, StreamSession } from '../runtime';
import { statusCode } from './engine-errors';

/** How often a finished exec's exit code is polled after its stream closed, ms, and for how long. */
const EXEC_EXIT_POLL_MS = 20;
const EXEC_EXIT_POLL_LIMIT_MS = 5_000;

/** Splits a hijacked connection into the session's output streams. */
function wireOutput(
  docker: Dockerode,
  socket: Duplex,
  options: StreamOptions,
): { stdout?: PassThrough; stderr?: PassThrough; ended: Promise<void> } {
  const stdout = options.stdout ? new PassThrough() : undefined;
  const stderr = options.stderr && !options.tty ? new PassThrough() : undefined;
  const sink = new PassThrough();
  sink.resume(); // whatever nobody asked for is dropped
  if (options.tty) {
    socket.pipe(stdout ?? sink);
  } else {
    docker.modem.demuxStream(socket as unknown as NodeJS.ReadableStream, stdout ?? sink, stderr ?? sink);
  }
  const ended = new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      stdout?.end();
      stderr?.end();
      resolve();
    };
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
  });
  return { stdout, stderr, ended };
}

/** A Writable that feeds the hijacked connection and half-closes it at its end (the process sees EOF). */
function stdinOf(socket: Duplex): Writable {
  return new Writable({
    write(chunk, _enc, cb) {
      if (socket.destroyed) return cb();
      socket.write(chunk, () => cb());
    },
    final(cb) {
      if (!socket.destroyed) (socket as Socket).end?.();
      cb();
    },
  });
}

function killPid(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function execExitCode(exec: Dockerode.Exec): Promise<number> {
  const deadline = Date.now() + EXEC_EXIT_POLL_LIMIT_MS;
  for (;;) {
    const info = await exec.inspect();
    if (!info.Running) return info.ExitCode ?? -1;
    if (Date.now() > deadline) return -1;
    await new Promise((r) => setTimeout(r, EXEC_EXIT_POLL_MS));
  }
}

function notRunning(containerId: string, err: unknown): RuntimeError {
  const status = statusCode(err);
  if (status === 404) return new RuntimeError('NotFound', `container ${containerId} not found`, { cause: err });
  return new RuntimeError('InvalidConfig', `cannot exec in container ${containerId}: ${(err as Error).message}`, { cause: err });
}

/** Starts `cmd` in a running container and returns its streams. */
export async function execStream(docker: Dockerode, containerId: string, cmd: string[], options: StreamOptions): Promise<StreamSession> {
  if (cmd.length === 0) throw new RuntimeError('InvalidConfig', 'cmd: must not be empty');
  let exec: Dockerode.Exec;
  let socket: Duplex;
  try {
    exec = await docker.getContainer(containerId).exec({
      Cmd: cmd,
      AttachStdin: options.stdin,
      AttachStdout: options.stdout,
      AttachStderr: options.stderr,
      Tty: options.tty,
    });
    socket = (await exec.start({ hijack: true, stdin: options.stdin, Tty: options.tty })) as unknown as Duplex;
  } catch (err) {
    throw notRunning(containerId, err);
  }
  const { stdout, stderr, ended } = wireOutput(docker, socket, options);
  let closed = false;
  return {
    stdin: options.stdin ? stdinOf(socket) : undefined,
    stdout,
    stderr,
    resize: (size) => void exec.resize({ h: size.height, w: size.width }).catch(() => undefined),
    close: () => {
      if (closed) return;
      closed = true;
      void exec
        .inspect()
        .then((info) => info.Running && killPid(info.Pid))
        .catch(() => undefined)
        .finally(() => socket.destroy());
    },
    exit: ended.then(async () => ({ exitCode: await execExitCode(exec).catch(() => -1) })),
  };
}

/** Runs `cmd` to completion (or `timeoutMs`, then kills it) and collects its output. */
export async function execSync(docker: Dockerode, containerId: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
  const session = await execStream(docker, containerId, cmd, { stdin: false, stdout: true, stderr: true, tty: false });
  const collect = (r: Readable | undefined): Promise<Buffer> =>
    new Promise((resolve) => {
      const parts: Buffer[] = [];
      if (!r) return resolve(Buffer.alloc(0));
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => resolve(Buffer.concat(parts)));
    });
  const out = collect(session.stdout);
  const err = collect(session.stderr);
  let timedOut = false;
  const timer = timeoutMs > 0 ? setTimeout(() => ((timedOut = true), session.close()), timeoutMs) : null;
  try {
    const { exitCode } = await session.exit;
    return { exitCode: timedOut ? -1 : exitCode, stdout: await out, stderr: await err, timedOut };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Attaches to a container's stdio; `exit` resolves with its exit code, or -1 when the caller detached. */
export async function attachStream(docker: Dockerode, containerId: string, options: StreamOptions): Promise<StreamSession> {
  const container = docker.getContainer(containerId);
  let socket: Duplex;
  try {
    const info = await container.inspect();
    if (!info.State.Running) throw new RuntimeError('InvalidConfig', `cannot attach to container ${containerId}: it is not running`);
    if (options.stdin && !info.Config.OpenStdin) {
      throw new RuntimeError('InvalidConfig', `cannot attach stdin to container ${containerId}: it was created without stdin`);
    }
    socket = (await container.attach({
      stream: true,
      hijack: true,
      stdin: options.stdin,
      stdout: options.stdout,
      stderr: options.stderr,
    })) as unknown as Duplex;
    options = { ...options, tty: Boolean(info.Config.Tty) };
  } catch (err) {
    throw err instanceof RuntimeError ? err : notRunning(containerId, err);
  }
  const { stdout, stderr, ended } = wireOutput(docker, socket, options);
  let detached = false;
  // Aborted on detach: a pending wait would hold an engine connection until the container exits.
  const waiting = new AbortController();
  const exited = container
    .wait({ abortSignal: waiting.signal })
    .then((r: { StatusCode: number }) => r.StatusCode)
    .catch(() => -1);
  return {
    stdin: options.stdin ? stdinOf(socket) : undefined,
    stdout,
    stderr,
    resize: (size) => void container.resize({ h: size.height, w: size.width }).catch(() => undefined),
    close: () => {
      detached = true;
      socket.destroy();
      waiting.abort();
    },
    exit: Promise.race([exited, ended.then(() => (detached ? -1 : exited))]).then((exitCode) => ({ exitCode })),
  };
}

/**
 * A byte stream to `port` on the sandbox's loopback: `nc 127.0.0.1 PORT` exec'd in the sandbox
 * container (busybox nc), so listeners bound to localhost inside the pod are reachable as with
 * Kubernetes' port-forward, and no route from the host into the pod network is needed.
 */
export async function portForwardStream(docker: Dockerode, sandboxContainerId: string, port: number): Promise<Duplex> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RuntimeError('InvalidConfig', `port: must be 1..65535, got ${port}`);
  const session = await execStream(docker, sandboxContainerId, ['nc', '127.0.0.1', String(port)], {
    stdin: true,
    stdout: true,
    stderr: false,
    tty: false,
  });
  const stdin = session.stdin!;
  const stdout = session.stdout!;
  const duplex = new Duplex({
    write(chunk, enc, cb) {
      stdin.write(chunk, enc, () => cb());
    },
    final(cb) {
      stdin.end(() => cb());
    },
    read() {
      stdout.resume();
    },
    destroy(err, cb) {
      session.close();
      cb(err);
    },
  });
  stdout.on('data', (c: Buffer) => {
    if (!duplex.push(c)) stdout.pause();
  });
  stdout.on('end', () => duplex.push(null));
  return duplex;
}
