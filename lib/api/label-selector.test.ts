import { expect } from 'chai';
import { BadRequestError } from './errors';
import {
  everything,
  LabelSelector,
  nothing,
  parseLabelSelector,
  selectorFromLabelSelector,
  selectorFromSet,
  validateLabelSelector,
} from './label-selector';

function parseError(s: string): BadRequestError {
  try {
    parseLabelSelector(s);
  } catch (e) {
    expect(e).to.be.instanceOf(BadRequestError);
    return e as BadRequestError;
  }
  throw new Error(`expected ${JSON.stringify(s)} to fail`);
}

describe('parseLabelSelector', () => {
  const web = { app: 'web', tier: 'frontend' };
  const db = { app: 'db', tier: 'backend', canary: 'true' };
  const bare = {};

  // selector, canonical string, [matches web, matches db, matches {}]
  const table: [string, string, [boolean, boolean, boolean]][] = [
    ['', '', [true, true, true]],
    ['app=web', 'app=web', [true, false, false]],
    ['app==web', 'app=web', [true, false, false]],
    ['app!=web', 'app!=web', [false, true, true]],
    ['app in (web,db)', 'app in (db,web)', [true, true, false]],
    ['app notin (web)', 'app notin (web)', [false, true, true]],
    ['canary', 'canary', [false, true, false]],
    ['!canary', '!canary', [true, false, true]],
    ['tier=frontend,app=web', 'app=web,tier=frontend', [true, false, false]],
    ['  app  =  web ,  tier in ( frontend , x ) ', 'app=web,tier in (frontend,x)', [true, false, false]],
    ['app=web,!canary', 'app=web,!canary', [true, false, false]],
    ['canary=', 'canary=', [false, false, false]],
    ['x in (a,)', 'x in (,a)', [false, false, false]],
    ['example.com/role in (in, notin)', 'example.com/role in (in,notin)', [false, false, false]],
  ];
  for (const [sel, canonical, [w, d, b]] of table) {
    it(`${JSON.stringify(sel)} parses to ${JSON.stringify(canonical)} and matches correctly`, () => {
      const s = parseLabelSelector(sel);
      expect(s.toString()).to.equal(canonical);
      expect([s.matches(web), s.matches(db), s.matches(bare)]).to.deep.equal([w, d, b]);
      expect(parseLabelSelector(s.toString()).toString()).to.equal(canonical);
    });
  }

  it('treats an empty value as a real value', () => {
    expect(parseLabelSelector('a=').matches({ a: '' })).to.equal(true);
    expect(parseLabelSelector('a=').matches({})).to.equal(false);
    expect(parseLabelSelector('a in (x,)').matches({ a: '' })).to.equal(true);
  });

  it('supports gt and lt on integer values', () => {
    expect(parseLabelSelector('n>3').matches({ n: '4' })).to.equal(true);
    expect(parseLabelSelector('n>3').matches({ n: '3' })).to.equal(false);
    expect(parseLabelSelector('n<3').matches({ n: '-1' })).to.equal(true);
    expect(parseLabelSelector('n<3').matches({ n: 'x' })).to.equal(false);
    expect(parseLabelSelector('n<3').matches({})).to.equal(false);
    expect(parseError('n>x').message).to.contain('exactly one integer value');
  });

  it('reports empty() and exposes sorted requirements', () => {
    expect(parseLabelSelector('').empty()).to.equal(true);
    expect(parseLabelSelector(' ').empty()).to.equal(true);
    const s = parseLabelSelector('b notin (y,x,x),a');
    expect(s.empty()).to.equal(false);
    expect(s.requirements).to.deep.equal([
      { key: 'a', operator: 'exists', values: [] },
      { key: 'b', operator: 'notin', values: ['x', 'y'] },
    ]);
  });

  const errors: [string, string][] = [
    ['(', "found '(', expected: identifier"],
    ['a b', "found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a in b', "found 'b', expected: '('"],
    ['a in (b', "found '', expected: ',' or ')'"],
    ['a in (b c)', "found 'c', expected: ',' or ')'"],
    ['a in (=)', "found '=', expected: ',', ')' or identifier"],
    ['a ! b', "found '!', expected: in, notin, =, ==, !=, gt, lt"],
    ['!', "found '', expected: identifier after '!'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a=b,', "found '', expected: identifier after ','"],
    [',a', "found ',', expected: identifier"],
    ['a=(b)', "found '(', expected: identifier"],
    ['a==', ''],
  ];
  for (const [sel, message] of errors) {
    if (!message) continue;
    it(`rejects ${JSON.stringify(sel)} with "${message}"`, () => {
      expect(parseError(sel).message).to.equal(`unable to parse requirement: ${message}`);
    });
  }

  it('accepts an empty value after ==', () => {
    expect(parseLabelSelector('a==').toString()).to.equal('a=');
  });

  it('rejects invalid keys and values, naming them', () => {
    const key = parseError('Bad/Key=x');
    expect(key.message).to.match(/^unable to parse requirement: invalid label key "Bad\/Key": prefix part/);
    expect(key.code).to.equal(400);
    expect(parseError('a=-bad-').message).to.contain('invalid label value: "-bad-": a valid label must be');
    expect(parseError(`a in (ok,${'v'.repeat(64)})`).message).to.contain('must be no more than 63 characters');
    expect(parseError('a in ()').message).to.contain("for 'in', 'notin' operators, values set can't be empty");
  });
});

describe('selectorFromSet, everything and nothing', () => {
  it('builds equality selectors from a map', () => {
    const s = selectorFromSet({ b: '2', a: '1' });
    expect(s.toString()).to.equal('a=1,b=2');
    expect(s.matches({ a: '1', b: '2', c: '3' })).to.equal(true);
    expect(s.matches({ a: '1' })).to.equal(false);
  });

  it('everything matches all; nothing matches none', () => {
    expect(everything().matches(undefined)).to.equal(true);
    expect(nothing().matches({ a: 'b' })).to.equal(false);
    expect(nothing().empty()).to.equal(false);
  });
});

describe('structured LabelSelector', () => {
  it('converts matchLabels and every operator', () => {
    const ls: LabelSelector = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['frontend', 'edge'] },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'team', operator: 'Exists' },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    };
    const s = selectorFromLabelSelector(ls);
    expect(s.toString()).to.equal('app=web,!canary,env notin (prod),team,tier in (edge,frontend)');
    expect(s.matches({ app: 'web', tier: 'edge', team: 'a' })).to.equal(true);
    expect(s.matches({ app: 'web', tier: 'edge', team: 'a', env: 'prod' })).to.equal(false);
    expect(s.matches({ app: 'web', tier: 'edge', team: 'a', canary: 'x' })).to.equal(false);
    expect(s.matches({ app: 'web', tier: 'edge' })).to.equal(false);
  });

  it('selects everything for {} and nothing for a missing selector', () => {
    expect(selectorFromLabelSelector({}).matches({ a: 'b' })).to.equal(true);
    expect(selectorFromLabelSelector(undefined).matches({})).to.equal(false);
    expect(selectorFromLabelSelector(null).matches({})).to.equal(false);
  });

  it('validates operators, values and keys with field paths', () => {
    const ls = {
      matchLabels: { 'bad key': 'x' },
      matchExpressions: [
        { key: 'a', operator: 'In', values: [] },
        { key: 'b', operator: 'Exists', values: ['x'] },
        { key: 'c', operator: 'Equals', values: ['x'] },
        { key: 'Bad Key', operator: 'NotIn', values: ['ok', 'not ok'] },
      ],
    } as unknown as LabelSelector;
    const errs = validateLabelSelector(ls, 'spec.selector');
    expect(errs.map((e) => `${e.field}: ${e.message.split(':').slice(0, 2).join(':')}`)).to.deep.equal([
      'spec.selector.matchLabels: Invalid value: "bad key"',
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Unsupported value: "Equals"',
      'spec.selector.matchExpressions[3].key: Invalid value: "Bad Key"',
      'spec.selector.matchExpressions[3].values[1]: Invalid value: "not ok"',
    ]);
    expect(errs[3].message).to.equal('Unsupported value: "Equals": supported values: "In", "NotIn", "Exists", "DoesNotExist"');
    expect(() => selectorFromLabelSelector(ls, 'spec.selector'))
      .to.throw(BadRequestError)
      .with.property('message')
      .that.contains('spec.selector.matchExpressions[0].values: Required value');
  });

  it('round-trips through the string form', () => {
    const s = selectorFromLabelSelector({ matchExpressions: [{ key: 'k', operator: 'In', values: ['b', 'a', 'b'] }] });
    expect(parseLabelSelector(s.toString()).requirements).to.deep.equal(s.requirements);
  });
});
