/**
 * kubectl's resolution of resource arguments against discovery: plural (`pods`), singular
 * (`pod`), short names (`po`), kind (`Pod`), qualified forms (`deployments.apps`,
 * `deploy.v1.apps`), comma lists (`po,svc`) and categories (`all`). Also the mapping of a
 * manifest's apiVersion/kind to its resource.
 */
import type { ServedResource } from '../lib/client/api-client';
import { CliError } from './cli-env';

/** kubectl's prefix of a resource in messages and `-o name`: `pod`, `deployment.apps`. */
export function resourcePrefix(info: Pick<ServedResource, 'singular' | 'kind' | 'group'>): string {
  const s = (info.singular || info.kind).toLowerCase();
  return info.group ? `${s}.${info.group}` : s;
}

/** kubectl's name of a resource in server messages: `pods`, `deployments.apps`. */
export function qualifiedPlural(info: Pick<ServedResource, 'resource' | 'group'>): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

/** Resolves resource arguments against the served resources. */
export class ResourceResolver {
  constructor(readonly resources: readonly ServedResource[]) {}

  private matchesName(r: ServedResource, name: string): boolean {
    return r.resource === name || r.singular === name || r.kind.toLowerCase() === name || r.shortNames.includes(name);
  }

  /** One resource argument (no commas); throws kubectl's error when nothing matches. */
  resolve(arg: string): ServedResource {
    const name = arg.trim().toLowerCase();
    if (name === '') throw new CliError('error: a resource type must not be empty');
    const plain = this.resources.filter((r) => this.matchesName(r, name));
    if (plain.length > 0) return preferred(plain);
    const dot = name.indexOf('.');
    if (dot > 0) {
      const head = name.slice(0, dot);
      const rest = name.slice(dot + 1);
      const withGroup = this.resources.filter((r) => this.matchesName(r, head) && (r.group === rest || `${r.version}.${r.group}` === rest || (r.group === '' && rest === r.version)));
      if (withGroup.length > 0) return preferred(withGroup);
    }
    throw new CliError(`error: the server doesn't have a resource type "${arg}"`);
  }

  /** A comma list of arguments; `all` (or any category) expands to its members. Duplicates are dropped. */
  resolveList(arg: string): ServedResource[] {
    const out: ServedResource[] = [];
    for (const part of arg.split(',')) {
      if (part.trim() === '') throw new CliError(`error: invalid resource list "${arg}": empty resource name`);
      const name = part.trim().toLowerCase();
      const inCategory = this.resources.filter((r) => r.categories.includes(name));
      const members = inCategory.length > 0 && !this.resources.some((r) => this.matchesName(r, name)) ? inCategory : [this.resolve(part)];
      for (const m of members) if (!out.some((o) => o.group === m.group && o.resource === m.resource)) out.push(m);
    }
    return out;
  }

  /**
   * The resource of a manifest's `apiVersion` and `kind`; `source` names the file and `name`
   * the object in kubectl's error.
   */
  forKind(apiVersion: string, kind: string, source: string, name: string, namespace = ''): ServedResource {
    const slash = apiVersion.lastIndexOf('/');
    const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
    const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
    const found = this.resources.find((r) => r.kind === kind && r.group === group && r.version === version);
    if (found) return found;
    throw new CliError(
      `error: resource mapping not found for name: "${name}" namespace: "${namespace}" from "${source}": no matches for kind "${kind}" in version "${apiVersion}"\n` +
        `ensure CRDs are installed first`,
    );
  }
}

/** Among several matches, the core group first, then the first served. */
function preferred(matches: ServedResource[]): ServedResource {
  return matches.find((r) => r.group === '') ?? matches[0]!;
}
