import { expect } from 'chai';
import { BadRequestError } from './errors';
import {
  checkFieldSelector,
  escapeFieldValue,
  fieldSelectorFromSet,
  parseFieldSelector,
  unescapeFieldValue,
} from './field-selector';

describe('parseFieldSelector', () => {
  const pod = { 'metadata.name': 'web-1', 'metadata.namespace': 'default', 'spec.nodeName': 'n1', 'status.phase': 'Running' };
  const pending = { 'metadata.name': 'web-2', 'metadata.namespace': 'default', 'spec.nodeName': '', 'status.phase': 'Pending' };

  // selector, canonical, [matches pod, matches pending]
  const table: [string, string, [boolean, boolean]][] = [
    ['', '', [true, true]],
    ['metadata.name=web-1', 'metadata.name=web-1', [true, false]],
    ['metadata.name==web-1', 'metadata.name=web-1', [true, false]],
    ['spec.nodeName!=n1', 'spec.nodeName!=n1', [false, true]],
    ['spec.nodeName=', 'spec.nodeName=', [false, true]],
    ['spec.nodeName!=', 'spec.nodeName!=', [true, false]],
    ['status.phase=Running,metadata.namespace=default', 'metadata.namespace=default,status.phase=Running', [true, false]],
    ['metadata.namespace=default,', 'metadata.namespace=default', [true, true]],
    ['spec.unknown=', 'spec.unknown=', [true, true]],
  ];
  for (const [sel, canonical, [a, b]] of table) {
    it(`${JSON.stringify(sel)} → ${JSON.stringify(canonical)}`, () => {
      const s = parseFieldSelector(sel);
      expect(s.toString()).to.equal(canonical);
      expect([s.matches(pod), s.matches(pending)]).to.deep.equal([a, b]);
      expect(parseFieldSelector(s.toString()).toString()).to.equal(canonical);
    });
  }

  it('unescapes \\, \\= and \\\\ in values and escapes them back', () => {
    const s = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d,spec.nodeName!=x');
    expect(s.terms).to.deep.equal([
      { field: 'metadata.name', operator: '=', value: 'a,b=c\\d' },
      { field: 'spec.nodeName', operator: '!=', value: 'x' },
    ]);
    expect(s.matches({ 'metadata.name': 'a,b=c\\d' })).to.equal(true);
    expect(s.toString()).to.equal('metadata.name=a\\,b\\=c\\\\d,spec.nodeName!=x');
    expect(escapeFieldValue('a,b=c\\')).to.equal('a\\,b\\=c\\\\');
    expect(unescapeFieldValue(escapeFieldValue('x=,\\y'))).to.equal('x=,\\y');
  });

  it('splits at the first operator, preferring != and == over =', () => {
    expect(parseFieldSelector('a==b').terms).to.deep.equal([{ field: 'a', operator: '=', value: 'b' }]);
    expect(parseFieldSelector('a!=b').terms).to.deep.equal([{ field: 'a', operator: '!=', value: 'b' }]);
    expect(parseFieldSelector(' a = b').terms).to.deep.equal([{ field: 'a', operator: '=', value: ' b' }]);
  });

  it('rejects bad terms and escapes', () => {
    expect(() => parseFieldSelector('metadata.name')).to.throw(BadRequestError, "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
    expect(() => parseFieldSelector('=x')).to.throw(BadRequestError, "can't understand '=x'");
    expect(() => parseFieldSelector('a=b\\x')).to.throw(BadRequestError, 'invalid field selector: invalid escape sequence: \\x');
    expect(() => parseFieldSelector('a=b\\')).to.throw(BadRequestError, 'invalid escape sequence');
    expect(() => parseFieldSelector('a=b=c')).to.throw(BadRequestError, 'invalid field selector: unescaped character =');
  });

  it('tells the exact value required of a field', () => {
    const s = parseFieldSelector('spec.nodeName=n1,metadata.name!=x');
    expect(s.requiresExactMatch('spec.nodeName')).to.equal('n1');
    expect(s.requiresExactMatch('metadata.name')).to.equal(undefined);
    expect(s.empty()).to.equal(false);
    expect(parseFieldSelector('').empty()).to.equal(true);
  });

  it('builds a selector from a set', () => {
    expect(fieldSelectorFromSet({ 'spec.nodeName': 'a,b' }).toString()).to.equal('spec.nodeName=a\\,b');
  });
});

describe('checkFieldSelector', () => {
  it('accepts supported fields and names the first unsupported one', () => {
    const s = parseFieldSelector('metadata.name=a,foo.bar=b');
    expect(() => checkFieldSelector(parseFieldSelector('metadata.name=a,metadata.namespace!=b'))).not.to.throw();
    expect(() => checkFieldSelector(s)).to.throw(
      BadRequestError,
      '"foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    expect(() => checkFieldSelector(s, ['metadata.name', 'foo.bar'])).not.to.throw();
  });
});
