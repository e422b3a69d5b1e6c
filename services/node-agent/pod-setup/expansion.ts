/**
 * Kubernetes' `$(VAR)` expansion of env values, command and args: `$(NAME)` becomes NAME's value
 * when NAME is defined and stays `$(NAME)` verbatim when it is not; `$$` is an escaped `$`; a
 * `$` before anything else, and an unclosed `$(`, are kept as written.
 */

/** Looks a name up; undefined = not defined (the reference stays as written). */
export type VariableLookup = (name: string) => string | undefined;

/** `input` with every `$(NAME)` that `lookup` defines replaced (see the file comment). */
export function expandVariables(input: string, lookup: VariableLookup): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 2;
        continue;
      }
      const name = input.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close + 1;
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}

/** A lookup over ordered maps: the first that has the name wins. */
export function lookupIn(...maps: ReadonlyMap<string, string>[]): VariableLookup {
  return (name) => {
    for (const m of maps) {
      const v = m.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}
