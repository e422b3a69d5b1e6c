import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { parseAccept } from '../../../lib/api/accept-header';
import { ApiError } from '../../../lib/api/errors';
import { MAX_NESTING_DEPTH, nestsDeeperThan } from '../../../lib/api/body/nesting';
import { checkJsonText, parseJsonText } from '../../../lib/api/body/json-text';
import { negotiate } from './media-negotiation';
import { discardBody } from './request-body';
import { parseRequestTarget } from './request-path';
import { parseYamlText } from '../../../lib/api/body/yaml-text';

/** The ApiError `f` throws. */
function thrown(f: () => unknown): ApiError {
  try {
    f();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

const KUBECTL_TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('HTTP request decoding', () => {
  describe('Accept negotiation', () => {
    it('orders media ranges by quality, keeping the client order among equals and dropping q=0', () => {
      const ranges = parseAccept('text/html;q=0.5, application/yaml, application/json;q=0, */*;q=0.8');
      expect(ranges.map((r) => `${r.type}/${r.subtype} ${r.q}`)).to.deep.equal(['application/yaml 1', '*/* 0.8', 'text/html 0.5']);
      expect(parseAccept(undefined).map((r) => `${r.type}/${r.subtype}`)).to.deep.equal(['*/*']);
      expect(parseAccept('nonsense, ;;, /x').length).to.equal(0);
    });

    it("serves kubectl's Accept headers as before and YAML when asked; nothing servable is undefined (406)", () => {
      expect(negotiate(KUBECTL_TABLE)).to.deep.equal({ type: 'table', version: 'v1' });
      expect(negotiate('application/json, */*')).to.deep.equal({ type: 'json' });
      expect(negotiate('application/vnd.kubernetes.protobuf,application/json')).to.deep.equal({ type: 'json' });
      expect(negotiate('application/vnd.kubernetes.protobuf')).to.deep.equal({ type: 'protobuf' });
      expect(negotiate('application/yaml')).to.deep.equal({ type: 'yaml' });
      expect(negotiate('application/xml, application/*;q=0.1')).to.deep.equal({ type: 'json' });
      for (const refused of ['application/xml', 'text/html;q=0.9, */*;q=0', 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', ',,']) {
        expect(negotiate(refused), refused).to.equal(undefined);
      }
    });
  });

  describe('JSON bodies', () => {
    it('names the first mistake and its line and column, never JavaScript error text', () => {
      const cases: Array<[string, string]> = [
        ['{"metadata":', 'unexpected end of JSON input at line 1, column 13'],
        ['{"a":1,}', "invalid character '}' looking for beginning of object key string at line 1, column 8"],
        ['{\n  "a": tru }', "invalid character ' ' in literal true (expecting 'e') at line 2, column 11"],
        ['[1 2]', "invalid character '2' after array element at line 1, column 4"],
        ['{"a" 1}', "invalid character '1' after object key at line 1, column 6"],
        ['{"a":"\u0001"}', 'invalid character U+0001 in string literal at line 1, column 7'],
        ['{"a":"\\x"}', "invalid escape 'x' in string literal at line 1, column 8"],
        ['{"a":01}', "invalid character '1' after object key:value pair at line 1, column 7"],
        ['{"a":-}', "invalid character '}' in numeric literal at line 1, column 7"],
        ['{} {}', "invalid character '{' after top-level value at line 1, column 4"],
      ];
      for (const [text, message] of cases) {
        const err = thrown(() => parseJsonText(text));
        expect([err.code, err.message], text).to.deep.equal([400, `the request body is not valid JSON: ${message}`]);
      }
    });

    it('agrees with JSON.parse on what is valid', () => {
      for (const text of ['{}', '[]', '0', '-0.5e+10', '"\\u00e9\\n"', ' {"a":[true,false,null,{"b":"c"}]} ', '1e5', '"\u2028"']) {
        expect(checkJsonText(text, 10), text).to.equal(undefined);
        expect(parseJsonText(text)).to.deep.equal(JSON.parse(text));
      }
    });

    it(`refuses more than ${MAX_NESTING_DEPTH} levels, naming the limit, at any depth`, () => {
      const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
      expect(parseJsonText(nested(MAX_NESTING_DEPTH))).to.be.an('array');
      for (const n of [MAX_NESTING_DEPTH + 1, 100_000]) {
        const err = thrown(() => parseJsonText(nested(n)));
        expect([err.code, err.message]).to.deep.equal([400, `the request body is nested too deeply: the limit is ${MAX_NESTING_DEPTH} levels of objects and lists`]);
      }
    });
  });

  describe('YAML bodies', () => {
    it('names syntax errors with their position, and refuses several documents and alias bombs', () => {
      expect(thrown(() => parseYamlText('a:\n  - b\n c: d\n')).message).to.equal(
        'the request body is not valid YAML: All mapping items must start at the same column at line 3, column 1',
      );
      expect(thrown(() => parseYamlText('a: 1\na: 2\n')).message).to.equal('the request body is not valid YAML: Map keys must be unique at line 2, column 1');
      expect(thrown(() => parseYamlText('a: b\n---\nc: d\n')).message).to.contain('more than one YAML document');
      expect(thrown(() => parseYamlText('a: *nowhere\n')).message).to.contain('an alias refers to an anchor that is not defined before it');
      const bomb = `a: &a [x]\nb: &b [${'*a,'.repeat(20)}*a]\nc: [${'*b,'.repeat(20)}*b]\n`;
      expect(thrown(() => parseYamlText(bomb)).message).to.contain('expands YAML aliases too often');
      expect(parseYamlText('apiVersion: v1\nkind: ConfigMap\ndata: {a: "1"}\n')).to.deep.equal({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } });
    });

    it(`refuses more than ${MAX_NESTING_DEPTH} levels in every style, quickly, and counts what aliases add`, () => {
      const styles: Record<string, (n: number) => string> = {
        flow: (n) => '['.repeat(n) + ']'.repeat(n),
        'flow map': (n) => '{a: '.repeat(n) + '1' + '}'.repeat(n),
        'block sequence': (n) => '- '.repeat(n) + 'x\n',
        'block map': (n) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' v\n',
      };
      for (const [style, text] of Object.entries(styles)) {
        expect(nestsDeeperThan(parseYamlText(text(MAX_NESTING_DEPTH)), MAX_NESTING_DEPTH), style).to.equal(false);
        for (const n of [MAX_NESTING_DEPTH + 1, 100_000]) {
          if (style === 'block map' && n > 1000) continue; // its text grows with the square of the depth
          const started = Date.now();
          expect(thrown(() => parseYamlText(text(n))).message, `${style} ${n}`).to.contain(`the limit is ${MAX_NESTING_DEPTH} levels`);
          expect(Date.now() - started, `${style} ${n}`).to.be.below(2000);
        }
      }
      const half = Math.ceil(MAX_NESTING_DEPTH / 2) + 1;
      const viaAlias = `a: &deep ${'['.repeat(half)}${']'.repeat(half)}\nb: ${'['.repeat(half)}*deep${']'.repeat(half)}\n`;
      expect(thrown(() => parseYamlText(viaAlias)).message).to.contain('nested too deeply');
    });
  });

  describe('request targets', () => {
    it('keeps the path as sent (no dot-segment or backslash rewriting) and refuses non-paths', () => {
      expect(parseRequestTarget('/api/v1/namespaces/a/configmaps/..?limit=1').pathname).to.equal('/api/v1/namespaces/a/configmaps/..');
      expect(parseRequestTarget('/a\\b?x=%zz&y=1').searchParams.get('y')).to.equal('1');
      expect(thrown(() => parseRequestTarget('https://elsewhere/api')).code).to.equal(400);
      expect(thrown(() => parseRequestTarget('*')).code).to.equal(400);
    });
  });

  describe('discarding an unread body', () => {
    /** A request stream with the fields discardBody reads, and whether its socket was destroyed. */
    function fakeRequest(): { req: IncomingMessage; stream: PassThrough; destroyed: () => boolean } {
      const stream = new PassThrough();
      let destroyed = false;
      Object.assign(stream, { complete: false, socket: { destroy: () => (destroyed = true) } });
      return { req: stream as unknown as IncomingMessage, stream, destroyed: () => destroyed };
    }

    it('reads to the end within its bounds and keeps the connection', async () => {
      const { req, stream, destroyed } = fakeRequest();
      const done = new Promise<void>((resolve) => discardBody(req, resolve, { maxBytes: 1000, maxMs: 5000 }));
      stream.write(Buffer.alloc(600));
      stream.end(Buffer.alloc(300));
      await done;
      expect(destroyed()).to.equal(false);
    });

    it('cuts the connection past its byte bound, or when the body does not end in time', async () => {
      const big = fakeRequest();
      const bigDone = new Promise<void>((resolve) => discardBody(big.req, resolve, { maxBytes: 1000, maxMs: 5000 }));
      big.stream.write(Buffer.alloc(1001));
      await bigDone;
      expect(big.destroyed()).to.equal(true);
      const slow = fakeRequest();
      const slowDone = new Promise<void>((resolve) => discardBody(slow.req, resolve, { maxBytes: 1000, maxMs: 20 }));
      slow.stream.write(Buffer.alloc(10));
      await slowDone;
      expect(slow.destroyed()).to.equal(true);
    });
  });
});
