/**
 * Runs `bosun` command lines in-process for tests: a temporary kubeconfig (context namespace
 * optional), captured stdout/stderr, optional stdin text, and a FakeApiClient shared across
 * runs so that state carries from one command to the next.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { writeKubeconfig } from '../../lib/client/kubeconfig';
import { runCli } from '../apiserver-commands';
import { FakeApiClient } from '../../lib/client/testing/fake-api-client';

/** What one run produced. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A sink that keeps what is written. */
export class Buffered {
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

/** A test cluster: a fake client, a temp dir with a kubeconfig, and a run() of command lines. */
export class CliHarness {
  readonly dir: string;
  readonly kubeconfig: string;
  /** Connections the factory was asked for (endpoints), in order. */
  readonly dialed: string[][] = [];

  constructor(
    readonly fake: FakeApiClient = new FakeApiClient(),
    opts: { namespace?: string } = {},
    readonly now: Date = new Date('2024-01-01T00:10:00Z'),
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-cli-'));
    this.kubeconfig = path.join(this.dir, 'kubeconfig');
    writeKubeconfig(this.kubeconfig, { clusterName: 'test', grpcEndpoints: ['127.0.0.1:6444'], namespace: opts.namespace });
  }

  /** Writes `text` to `name` under the temp dir; returns the path. */
  file(name: string, text: string): string {
    const p = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    return p;
  }

  /** Runs one command line (words as a shell would split them). */
  async run(argv: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
    const stdout = new Buffered();
    const stderr = new Buffered();
    const code = await runCli(argv, {
      stdout,
      stderr,
      stdin: opts.stdin === undefined ? undefined : Readable.from([opts.stdin]),
      env: opts.env ?? { BOSUN_KUBECONFIG: this.kubeconfig, HOME: this.dir },
      cwd: this.dir,
      now: () => this.now,
      clientFactory: (conn) => {
        this.dialed.push(conn.endpoints);
        return this.fake;
      },
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  /** Removes the temp dir. */
  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
