import { expect } from 'chai';
import { BadRequestError } from './errors';
import { resolveIntOrPercent, validateIntOrPercent } from './int-or-string';
import {
  compareQuantities,
  isQuantity,
  parseQuantity,
  Quantity,
  QUANTITY_FORMAT_ERROR,
  QUANTITY_SUFFIX_ERROR,
  validateQuantity,
} from './quantity';

describe('Quantity', () => {
  // input, canonical, milliValue
  const table: [string, string, number][] = [
    ['0', '0', 0],
    ['0Mi', '0', 0],
    ['100m', '100m', 100],
    ['1500m', '1500m', 1500],
    ['1.5', '1500m', 1500],
    ['0.1', '100m', 100],
    ['.5', '500m', 500],
    ['1.', '1', 1000],
    ['1', '1', 1000],
    ['1000', '1k', 1_000_000],
    ['1500', '1500', 1_500_000],
    ['1k', '1k', 1_000_000],
    ['1.5k', '1500', 1_500_000],
    ['2M', '2M', 2e9],
    ['1000000000000000000000', '1000E', 1e24],
    ['1n', '1n', 1],
    ['1u', '1u', 1],
    ['0.0000000001', '1n', 1],
    ['1.0000000001', '1000000001n', 1001],
    ['-100m', '-100m', -100],
    ['+5', '5', 5000],
    ['1Ki', '1Ki', 1_024_000],
    ['2Gi', '2Gi', 2 * 1024 ** 3 * 1000],
    ['2048Mi', '2Gi', 2 * 1024 ** 3 * 1000],
    ['1536Mi', '1536Mi', 1536 * 1024 ** 2 * 1000],
    ['1.5Gi', '1536Mi', 1536 * 1024 ** 2 * 1000],
    ['1.5Ki', '1536', 1_536_000],
    ['0.5Ki', '512', 512_000],
    ['1023Ki', '1023Ki', 1023 * 1024 * 1000],
    ['-1Ki', '-1Ki', -1_024_000],
    ['1e3', '1e3', 1_000_000],
    ['1E3', '1e3', 1_000_000],
    ['1.5e3', '1500', 1_500_000],
    ['1e-3', '1e-3', 1],
    ['5e+6', '5e6', 5e9],
    ['100e0', '100', 100_000],
  ];
  for (const [input, canonical, milli] of table) {
    it(`${input} → ${canonical}`, () => {
      const q = parseQuantity(input);
      expect(q.toString()).to.equal(canonical);
      expect(q.milliValue()).to.equal(milli);
      expect(Quantity.parse(canonical).equals(q)).to.equal(true);
      expect(Quantity.parse(canonical).toString()).to.equal(canonical);
    });
  }

  const bad = ['', ' ', 'abc', '1.2.3', '.', '-', '1 Gi', '1Gb', '1e', '1ki', '1i', 'Mi', '1MM', '1e1.5', '--1'];
  for (const input of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      expect(isQuantity(input)).to.equal(false);
      expect(() => parseQuantity(input))
        .to.throw(BadRequestError)
        .with.property('message')
        .that.is.oneOf([QUANTITY_FORMAT_ERROR, QUANTITY_SUFFIX_ERROR]);
    });
  }

  it('uses Kubernetes’ message for malformed input', () => {
    expect(() => parseQuantity('abc')).to.throw(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
  });

  it('compares by amount across formats', () => {
    expect(compareQuantities('1Ki', '1024')).to.equal(0);
    expect(compareQuantities('1k', '1Ki')).to.equal(-1);
    expect(compareQuantities('1', '999m')).to.equal(1);
    expect(compareQuantities('1e3', '1k')).to.equal(0);
    expect(compareQuantities(parseQuantity('-1'), '0')).to.equal(-1);
    const sorted = ['1Gi', '100m', '1G', '2', '500Mi'].sort(compareQuantities);
    expect(sorted).to.deep.equal(['100m', '2', '500Mi', '1G', '1Gi']);
  });

  it('rounds value() and milliValue() up', () => {
    expect(parseQuantity('100m').value()).to.equal(1);
    expect(parseQuantity('1001m').value()).to.equal(2);
    expect(parseQuantity('1.0001m').milliValue()).to.equal(2);
    expect(parseQuantity('-100m').value()).to.equal(-1);
  });

  it('adds, subtracts and builds from milli-units', () => {
    const sum = parseQuantity('500m').add(parseQuantity('1.5'));
    expect(sum.toString()).to.equal('2');
    expect(parseQuantity('1Gi').sub(parseQuantity('512Mi')).toString()).to.equal('512Mi');
    expect(Quantity.fromMilli(1500).toString()).to.equal('1500m');
    expect(Quantity.fromInt(4096, 'BinarySI').toString()).to.equal('4Ki');
    expect(Quantity.fromInt(0).isZero()).to.equal(true);
    expect(JSON.stringify({ cpu: parseQuantity('1.5') })).to.equal('{"cpu":"1500m"}');
  });

  it('validates quantity fields', () => {
    expect(validateQuantity('100m', 'spec.containers[0].resources.limits[cpu]')).to.deep.equal([]);
    expect(validateQuantity(2, 'x')).to.deep.equal([]);
    const [err] = validateQuantity('lots', 'spec.containers[0].resources.limits[cpu]');
    expect(err.field).to.equal('spec.containers[0].resources.limits[cpu]');
    expect(err.message).to.equal(`Invalid value: "lots": ${QUANTITY_FORMAT_ERROR}`);
    expect(validateQuantity('-1', 'x', { nonNegative: true })[0].message).to.equal('Invalid value: "-1": must be greater than or equal to 0');
  });
});

describe('IntOrString', () => {
  // value, total, roundUp, expected
  const table: [number | string, number, boolean, number][] = [
    [3, 10, true, 3],
    [0, 10, false, 0],
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['25%', 4, true, 1],
    ['25%', 4, false, 1],
    ['0%', 10, true, 0],
    ['100%', 7, false, 7],
    ['33%', 3, false, 0],
    ['33%', 3, true, 1],
    ['50%', 0, true, 0],
    ['150%', 10, true, 15],
  ];
  for (const [value, total, roundUp, expected] of table) {
    it(`${JSON.stringify(value)} of ${total} rounded ${roundUp ? 'up' : 'down'} is ${expected}`, () => {
      expect(resolveIntOrPercent(value, total, roundUp)).to.equal(expected);
    });
  }

  it('rejects strings that are not percentages', () => {
    expect(() => resolveIntOrPercent('5', 10, true)).to.throw(BadRequestError, 'invalid type: string is not a percentage');
    expect(() => resolveIntOrPercent('x%', 10, true)).to.throw(BadRequestError, 'invalid value "x%"');
    expect(() => resolveIntOrPercent(undefined, 10, true)).to.throw(BadRequestError, 'nil value for IntOrString');
  });

  it('validates non-negative ints and percent strings', () => {
    expect(validateIntOrPercent(1, 'm')).to.deep.equal([]);
    expect(validateIntOrPercent('25%', 'm')).to.deep.equal([]);
    expect(validateIntOrPercent(-1, 'spec.strategy.rollingUpdate.maxSurge')[0].message).to.equal(
      'Invalid value: -1: must be greater than or equal to 0',
    );
    expect(validateIntOrPercent('25', 'm')[0].message).to.contain("a valid percent string must be a numeric string followed by an ending '%'");
    expect(validateIntOrPercent('150%', 'm', { max100Percent: true })[0].message).to.equal('Invalid value: "150%": must not be greater than 100%');
    expect(validateIntOrPercent(true, 'm')).to.have.length(1);
  });
});
