import { expect } from 'chai';
import { ConfigError } from '../config-error';
import type { Controller } from './controller-context';
import { ControllerRegistry } from './controller-registry';
import { fakeControllerContext } from './testing';

/** A controller that records its lifecycle in `log`. */
function recording(name: string, log: string[], opts: { enabledByDefault?: boolean; failRun?: boolean } = {}) {
  return {
    name,
    enabledByDefault: opts.enabledByDefault,
    create: (): Controller => {
      log.push(`create ${name}`);
      return {
        run: async () => {
          if (opts.failRun) throw new Error('cannot run');
          log.push(`run ${name}`);
        },
        stop: async () => void log.push(`stop ${name}`),
      };
    },
  };
}

describe('ControllerRegistry', () => {
  const log: string[] = [];
  const registry = new ControllerRegistry([recording('job', log), recording('namespace', log), recording('replicaset', log), recording('bootstrapsigner', log, { enabledByDefault: false })]);

  it('selects as kube-controller-manager --controllers does', () => {
    expect(registry.select('*')).to.deep.equal(['job', 'namespace', 'replicaset']);
    expect(registry.select('*,-job')).to.deep.equal(['namespace', 'replicaset']);
    expect(registry.select('*,bootstrapsigner')).to.deep.equal(['bootstrapsigner', 'job', 'namespace', 'replicaset']);
    expect(registry.select('namespace')).to.deep.equal(['namespace']);
    expect(registry.select(' job , namespace ,')).to.deep.equal(['job', 'namespace']);
    expect(registry.select('-job')).to.deep.equal([]);
    expect(registry.select('')).to.deep.equal([]);
    expect(registry.select(['*', '-replicaset'])).to.deep.equal(['job', 'namespace']);
  });

  it('names unknown controllers, and ones both enabled and disabled, in a ConfigError', () => {
    expect(() => registry.select('*,-jobs,cronjob')).to.throw(ConfigError, '--controllers: unknown controllers "-jobs", "cronjob" (known: bootstrapsigner, job, namespace, replicaset)');
    expect(() => registry.select('job,-job')).to.throw(ConfigError, '--controllers: "job" both enabled and disabled');
  });

  it('refuses a name registered twice', () => {
    expect(() => new ControllerRegistry([recording('a', []), recording('a', [])])).to.throw('controller "a" registered twice');
  });

  it('start builds the selected controllers, starts the informers and runs them; one failing to run is left out; stop stops all', async () => {
    const events: string[] = [];
    const r = new ControllerRegistry([recording('a', events), recording('b', events, { failRun: true }), recording('c', events)]);
    const ctx = fakeControllerContext();
    const running = await r.start(r.select('a,b'), ctx);
    expect(running.names).to.deep.equal(['a']);
    expect(events).to.deep.equal(['create a', 'create b', 'run a', 'stop b']);
    await running.stop();
    expect(events.slice(4)).to.deep.equal(['stop a', 'stop b']);
  });
});
