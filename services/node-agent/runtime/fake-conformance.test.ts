import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeRuntimeConformance } from './conformance';
import { FakeRuntime, UNPULLABLE_IMAGE_MARK } from './fake-runtime';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-fake-conformance-'));

describeRuntimeConformance({
  name: 'fake',
  skipReason: async () => undefined,
  open: async () => new FakeRuntime({ rootDir: path.join(root, 'state') }),
  image: 'busybox:1.36',
  absentImage: `registry.invalid/${UNPULLABLE_IMAGE_MARK}:1`,
  logRoot: path.join(root, 'logs'),
  capabilities: { processes: false, podNetwork: false },
  cleanup: async () => fs.rmSync(root, { recursive: true, force: true }),
});
