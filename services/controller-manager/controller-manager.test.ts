import { expect } from 'chai';
import { execFile } from 'node:child_process';
import pino from 'pino';
import { ConfigError } from '../../lib/config-error';
import { BOSUN_BIN } from '../../lib/launcher/local-process';
import { ControllerManager, defaultControllerRegistry } from './controller-manager';

describe('ControllerManager --controllers', () => {
  /** Every registered controller, as the error messages list them. */
  const known = () => defaultControllerRegistry().names().join(', ');

  it('knows the built-in controllers and runs them by default; -name turns one off', () => {
    expect(defaultControllerRegistry().select('*')).to.include.members(['namespace', 'disruption', 'garbagecollector', 'job', 'cronjob', 'ttl-after-finished', 'replicaset', 'replicationcontroller', 'deployment', 'daemonset', 'serviceaccount', 'endpoint', 'endpointslice', 'endpointslicemirroring', 'nodelifecycle', 'podgc', 'statefulset', 'service-lb-controller', 'resourcequota']);
    expect(defaultControllerRegistry().select('*,-disruption')).to.not.include('disruption');
  });

  it('refuses unknown controller names before connecting, naming them', () => {
    expect(() => ControllerManager.start({ apiservers: ['127.0.0.1:1'], controllers: '*,-jobs' }, pino({ level: 'silent' }))).to.throw(ConfigError, `--controllers: unknown controller "-jobs" (known: ${known()})`);
  });

  it('`bosun controller-manager --controllers` with an unknown name exits 2 naming it (the real binary)', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [BOSUN_BIN, 'controller-manager', '--controllers', 'namespace,-gc', '--apiserver', '127.0.0.1:1'], { timeout: 30_000 }, (err, _stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      );
    });
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain(`bosun: --controllers: unknown controller "-gc" (known: ${known()})`);
  });
});
