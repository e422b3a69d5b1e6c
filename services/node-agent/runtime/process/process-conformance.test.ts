import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { describeRuntimeConformance } from '../conformance';
import { ProcessRuntime } from './process-runtime';
import { busyboxTarball, testPodCidr } from './testing';

/** The process runtime under the shared conformance suite: as root, with pod networking, real processes. */
const root = path.join(os.tmpdir(), `bosun-proc-conformance-${process.pid}`);
const nodeName = `conformance-${process.pid}`;
const bridgeName = `bsn-c${process.pid % 100000}`;
const logger = pino({ level: 'silent' });
const open = () => ProcessRuntime.open({ rootDir: root, nodeName, logger, bridgeName });

describeRuntimeConformance({
  name: 'process',
  async skipReason() {
    return process.getuid?.() === 0 ? undefined : 'the process runtime needs root for namespaces, pod networks and cgroups';
  },
  async open() {
    const runtime = await open();
    if (!(await runtime.imageStatus('busybox:latest'))) await runtime.importImage('busybox:latest', busyboxTarball());
    return runtime;
  },
  image: 'busybox:latest',
  absentImage: 'registry.invalid/absent:1.0',
  podCIDR: testPodCidr(25),
  logRoot: path.join(root, 'logs'),
  capabilities: { processes: true, podNetwork: true },
  async cleanup() {
    const runtime = await open();
    await runtime.destroyNode();
    await runtime.close();
    fs.rmSync(root, { recursive: true, force: true });
  },
});
