/**
 * YAML request bodies, decoded with the `yaml` library but guarded against its recursion: the
 * library's lexer and CST parser are iterative, its composer is not. So the CST parser is driven
 * one lexeme at a time here and stopped as soon as its stack of open collections passes
 * MAX_NESTING_DEPTH (a 100000-level body stops after 500 levels, in microseconds, instead of
 * overflowing the stack — or worse, see body-nesting.ts), and only then are the tokens composed.
 * The composed value is checked once more, iteratively, for depth that aliases add.
 *
 * Every failure is a 400 in the client's terms: the library's own description of a syntax error
 * with its line and column, more than one document, too many alias expansions, or the nesting
 * limit. Warnings (unknown tags, …) are not reported.
 */
import { Composer, Lexer, Parser, type CST, type Document } from 'yaml';
import { BadRequestError } from '../errors';
import { MAX_NESTING_DEPTH, nestsDeeperThan, tooDeeplyNested } from './nesting';
import { linePosition } from './json-text';

/** Most alias expansions one body may make (the yaml library's guard against exponential growth). */
export const MAX_YAML_ALIAS_COUNT = 100;

/** CST token types that open a level of nesting. */
const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * Collection levels open in the parser: its stack holds the document, the open collections and
 * at most the one scalar being read, so this is exact up to that one token.
 */
function openLevels(parser: Parser): number {
  const { stack } = parser;
  let levels = stack.length;
  if (levels > 0 && !COLLECTIONS.has(stack[0]!.type)) levels--;
  if (stack.length > 1 && !COLLECTIONS.has(stack[stack.length - 1]!.type)) levels--;
  return levels;
}

/** Thrown out of the token stream to stop parsing a too deep body. */
class TooDeep extends Error {}

/** The CST tokens of `text`, stopping (TooDeep) once more than `maxDepth` levels are open. */
function* boundedTokens(text: string, maxDepth: number): Generator<CST.Token> {
  const parser = new Parser();
  for (const lexeme of new Lexer().lex(text)) {
    yield* parser.next(lexeme);
    if (openLevels(parser) > maxDepth) throw new TooDeep();
  }
  yield* parser.end();
}

/**
 * Parses a YAML request body holding one document into plain JSON-like values, or throws a 400
 * (`what` names the body in the message).
 */
export function parseYamlText(text: string, what = 'the request body'): unknown {
  // logLevel 'error': the library would print its warnings on the process's stderr.
  const composer = new Composer({ uniqueKeys: true, logLevel: 'error' });
  let doc: Document.Parsed | undefined;
  try {
    for (const next of composer.compose(boundedTokens(text, MAX_NESTING_DEPTH), true, text.length)) {
      if (doc) throw new BadRequestError(`${what} holds more than one YAML document: send one object per request`);
      doc = next;
    }
  } catch (err) {
    if (err instanceof TooDeep) throw tooDeeplyNested();
    throw err;
  }
  const error = doc!.errors[0];
  if (error) {
    const where = error.pos[0] >= 0 ? ` at ${linePosition(text, error.pos[0])}` : '';
    throw new BadRequestError(`${what} is not valid YAML: ${error.message}${where}`);
  }
  let value: unknown;
  try {
    value = doc!.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
  } catch (err) {
    // What is left after composing without errors: aliases without an anchor, and the guard
    // against exponential alias expansion.
    if (err instanceof ReferenceError && err.message.startsWith('Unresolved alias')) {
      throw new BadRequestError(`${what} is not valid YAML: an alias refers to an anchor that is not defined before it`);
    }
    throw new BadRequestError(`${what} expands YAML aliases too often: at most ${MAX_YAML_ALIAS_COUNT} expansions are allowed`);
  }
  if (nestsDeeperThan(value, MAX_NESTING_DEPTH)) throw tooDeeplyNested();
  return value;
}
