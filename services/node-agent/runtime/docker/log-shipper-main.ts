/**
 * Entry point of the detached log shipper (see detached-log-shipper.ts):
 *   node log-shipper-main.js --node NAME --socket PATH --pid-file FILE
 * Copies the node's container output into CRI log files until SIGTERM/SIGINT; retries while the
 * engine is away. Logs JSON lines to stdout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { createLogger } from '../../../../lib/logger';
import { runningShipperPid } from './detached-log-shipper';
import { LogShipper } from './log-shipper';

/** Retry interval while the engine does not answer, ms. */
const ENGINE_RETRY_MS = 2_000;

function flag(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  if (!value) {
    console.error(`log-shipper: --${name} is required (usage: --node NAME --socket PATH --pid-file FILE)`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const nodeName = flag('node');
  const socketPath = flag('socket');
  const pidFile = flag('pid-file');
  const logger = createLogger('docker-log-shipper').child({ node: nodeName });
  const docker = new Dockerode({ socketPath });
  const shipper = new LogShipper(docker, nodeName, logger);
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    shipper.close();
    try {
      if (fs.readFileSync(pidFile, 'utf8').trim() === String(process.pid)) fs.rmSync(pidFile, { force: true });
    } catch {
      // already gone
    }
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Two runtimes starting a shipper at once: the later one leaves (two would double every line).
  const other = runningShipperPid(path.dirname(pidFile), nodeName);
  if (other && other !== process.pid) {
    logger.info({ pid: other }, 'a log shipper already runs for this node');
    process.exit(0);
  }
  fs.writeFileSync(pidFile, `${process.pid}\n`);
  while (!stopping) {
    try {
      await shipper.start();
      logger.info('log shipper following the node\'s containers');
      return;
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'docker engine not answering; retrying');
      await new Promise((r) => setTimeout(r, ENGINE_RETRY_MS));
    }
  }
}

void main();
