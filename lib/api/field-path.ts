/**
 * Field paths as Kubernetes prints them in validation errors: `spec.containers[0].name`,
 * `metadata.labels[app]`. A path is an immutable value; each step returns a new path.
 */

type Step = { kind: 'child'; name: string } | { kind: 'index'; index: number } | { kind: 'key'; key: string };

/** An immutable path to a field of an object, rendered with `toString()`. */
export class FieldPath {
  private constructor(private readonly steps: readonly Step[]) {}

  /** A path starting at the named top-level field, e.g. `FieldPath.root('metadata')`. */
  static root(name: string): FieldPath {
    return new FieldPath([{ kind: 'child', name }]);
  }

  /** The path of a named sub-field: `spec` → `spec.template`. */
  child(...names: string[]): FieldPath {
    return new FieldPath([...this.steps, ...names.map((name): Step => ({ kind: 'child', name }))]);
  }

  /** The path of a list element: `spec.containers` → `spec.containers[0]`. */
  index(index: number): FieldPath {
    return new FieldPath([...this.steps, { kind: 'index', index }]);
  }

  /** The path of a map entry: `metadata.labels` → `metadata.labels[app]`. */
  key(key: string): FieldPath {
    return new FieldPath([...this.steps, { kind: 'key', key }]);
  }

  /** Rendered as Kubernetes does: dots between names, brackets around indices and keys. */
  toString(): string {
    let out = '';
    for (const step of this.steps) {
      switch (step.kind) {
        case 'child':
          out += out === '' ? step.name : `.${step.name}`;
          break;
        case 'index':
          out += `[${step.index}]`;
          break;
        case 'key':
          out += `[${step.key}]`;
          break;
      }
    }
    return out;
  }
}

/** A field path given either as a `FieldPath` or as its already rendered string. */
export type PathLike = FieldPath | string;

/** Turns a string into a root path; leaves a `FieldPath` as it is. */
export function toPath(path: PathLike): FieldPath {
  return typeof path === 'string' ? FieldPath.root(path) : path;
}
