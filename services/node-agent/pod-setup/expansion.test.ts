import { expect } from 'chai';
import { expandVariables, lookupIn } from './expansion';

describe('$(VAR) expansion (Kubernetes rules)', () => {
  const vars = lookupIn(new Map([['A', 'alpha'], ['B', 'beta'], ['EMPTY', '']]));
  const cases: [string, string][] = [
    ['$(A)', 'alpha'],
    ['x-$(A)-$(B)-y', 'x-alpha-beta-y'],
    ['$(UNDEFINED)', '$(UNDEFINED)'],
    ['$(EMPTY)x', 'x'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$alpha'],
    ['$$', '$'],
    ['$A', '$A'],
    ['trailing $', 'trailing $'],
    ['$(A', '$(A'],
    ['$()', '$()'],
    ['no vars', 'no vars'],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => {
      expect(expandVariables(input, vars)).to.equal(want);
    });
  }

  it('looks names up in order: the first map that has the name wins', () => {
    const lookup = lookupIn(new Map([['X', 'first']]), new Map([['X', 'second'], ['Y', 'y']]));
    expect(expandVariables('$(X)$(Y)', lookup)).to.equal('firsty');
  });
});
