import { expect } from 'chai';
import { hoistConnectionFlags } from './leading-flags';

describe('hoistConnectionFlags (kubectl-style leading connection flags)', () => {
  const commands = new Set(['get', 'apply']);

  it('moves --server, --kubeconfig, --context and -n behind the command name', () => {
    expect(hoistConnectionFlags(['--server', 'h:1', 'get', 'ns'], commands)).to.deep.equal(['get', '--server', 'h:1', 'ns']);
    expect(hoistConnectionFlags(['-n', 'web', '--context=c', 'get', 'pods', '-o', 'wide'], commands)).to.deep.equal(['get', '-n', 'web', '--context=c', 'pods', '-o', 'wide']);
    expect(hoistConnectionFlags(['--kubeconfig', 'k', 'apply', '-f', 'x.yaml'], commands)).to.deep.equal(['apply', '--kubeconfig', 'k', '-f', 'x.yaml']);
  });

  it('leaves argv alone when the flags already follow the command, or nothing leads', () => {
    expect(hoistConnectionFlags(['get', 'ns', '--server', 'h:1'], commands)).to.deep.equal(['get', 'ns', '--server', 'h:1']);
    expect(hoistConnectionFlags([], commands)).to.deep.equal([]);
  });

  it('leaves argv alone for other flags, component commands and a flag missing its value (commander reports them)', () => {
    expect(hoistConnectionFlags(['--verbose', 'get', 'ns'], commands)).to.deep.equal(['--verbose', 'get', 'ns']);
    expect(hoistConnectionFlags(['--server', 'h:1', 'up'], commands)).to.deep.equal(['--server', 'h:1', 'up']);
    expect(hoistConnectionFlags(['--server'], commands)).to.deep.equal(['--server']);
    expect(hoistConnectionFlags(['--help'], commands)).to.deep.equal(['--help']);
  });
});
