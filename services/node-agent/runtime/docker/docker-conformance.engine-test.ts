/**
 * The shared runtime conformance suite against the docker runtime on the real engine (npm test's
 * docker phase), with the runtime's defaults (the detached log shipper). Skips with a message
 * when no engine answers.
 */
import * as fs from 'node:fs';
import type Dockerode from 'dockerode';
import { createLogger } from '../../../../lib/logger';
import { describeRuntimeConformance } from '../conformance';
import { stopDetachedLogShipper } from './detached-log-shipper';
import { DockerRuntime } from './docker-runtime';
import { TEST_BUSYBOX_IMAGE, ensureTestBusybox } from './testing/busybox-fixture';
import { engineOrNull, guardClusterRange, removeTestNode, tempDir, testNodeName } from './testing/engine-harness';

const nodeName = testNodeName('conf');
const logRoot = tempDir();
let docker: Dockerode | null = null;
let unguard: () => Promise<void> = async () => undefined;

describeRuntimeConformance({
  name: 'docker',
  async skipReason() {
    docker = await engineOrNull();
    if (!docker) return 'docker engine not reachable at /var/run/docker.sock (start it with scripts/docker/ensure-docker.sh)';
    await ensureTestBusybox(docker);
    unguard = await guardClusterRange();
    return undefined;
  },
  open: () => DockerRuntime.open({ docker: docker!, nodeName, rootDir: logRoot, logger: createLogger('docker-conformance', 'silent'), sandboxImage: TEST_BUSYBOX_IMAGE }),
  image: TEST_BUSYBOX_IMAGE,
  absentImage: '127.0.0.1:9/bosun-absent/image:1',
  podCIDR: '10.42.202.0/24',
  logRoot,
  capabilities: { processes: true, podNetwork: true },
  async cleanup() {
    // The runtime's default: the node's log shipper runs detached; this run started it.
    await stopDetachedLogShipper(logRoot, nodeName);
    if (docker) await removeTestNode(docker, nodeName);
    await unguard();
    fs.rmSync(logRoot, { recursive: true, force: true });
  },
});
