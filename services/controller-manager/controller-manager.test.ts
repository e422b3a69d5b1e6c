import { expect } from 'chai';
import pino from 'pino';
import { ConfigError } from '../../lib/config-error';
import { ControllerManager, defaultControllerRegistry } from './controller-manager';

describe('ControllerManager --controllers', () => {
  it('knows the namespace controller and runs it by default', () => {
    expect(defaultControllerRegistry().select('*')).to.deep.equal(['namespace']);
  });

  it('refuses unknown controller names before connecting, naming them', () => {
    expect(() => ControllerManager.start({ apiservers: ['127.0.0.1:1'], controllers: '*,-jobs' }, pino({ level: 'silent' }))).to.throw(ConfigError, '--controllers: unknown controller "-jobs" (known: namespace)');
  });
});
