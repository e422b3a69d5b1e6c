/**
 * `bosun api-resources [--namespaced=true|false] [--api-group G] [-o wide|name]`: the served
 * resources as kubectl lists them (NAME SHORTNAMES APIVERSION NAMESPACED KIND, wide adds
 * VERBS CATEGORIES), sorted by group then name.
 */
import { Command, Option } from 'commander';
import { apiVersionOf } from '../../lib/api/object';
import type { ServedResource } from '../../lib/client/api-client';
import { println, type CliEnv } from '../cli-env';
import { parseBool } from '../command-support';
import { alignColumns } from '../output/printer-adapter';
import { parseOutputFormat } from '../output/serialize';
import { qualifiedPlural } from '../resource-resolver';
import { runAction, withConnectionFlags, type ConnectionFlags } from '../session';

interface ApiResourcesFlags extends ConnectionFlags {
  namespaced?: boolean;
  apiGroup?: string;
  output?: string;
  /** false with --no-headers. */
  headers?: boolean;
}

/** The rows of api-resources in kubectl's order: by group, then by name. */
export function sortResources(resources: readonly ServedResource[]): ServedResource[] {
  return [...resources].sort((a, b) => (a.group === b.group ? cmp(a.resource, b.resource) : cmp(a.group, b.group)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The text of api-resources. */
export function apiResourcesText(resources: readonly ServedResource[], format: '' | 'wide' | 'name', noHeaders = false): string {
  const rows = sortResources(resources);
  if (format === 'name') return rows.map((r) => `${qualifiedPlural(r)}\n`).join('');
  const lines: string[] = [];
  if (!noHeaders) lines.push(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(format === 'wide' ? ['VERBS', 'CATEGORIES'] : [])].join('\t'));
  for (const r of rows) {
    const cells = [r.resource, r.shortNames.join(','), apiVersionOf(r), String(r.namespaced), r.kind];
    if (format === 'wide') cells.push(r.verbs.join(','), r.categories.join(','));
    lines.push(cells.join('\t'));
  }
  return alignColumns(lines);
}

/** The `api-resources` command. */
export function apiResourcesCommand(env: CliEnv): Command {
  const cmd = new Command('api-resources')
    .description('print the supported API resources on the server (kubectl api-resources)')
    .addOption(new Option('--namespaced [bool]', 'only namespaced (true) or cluster-scoped (false) resources').argParser(parseBool).preset(true))
    .addOption(new Option('--api-group <group>', 'only resources of this API group ("" for core)'))
    .addOption(new Option('-o, --output <format>', 'wide or name'))
    .addOption(new Option('--no-headers', 'omit the header line'));
  withConnectionFlags(cmd, false);
  return cmd.action(async (flags: ApiResourcesFlags) =>
    runAction(env, flags, async (session) => {
      const format = parseOutputFormat(flags.output, ['wide', 'name']) as '' | 'wide' | 'name';
      let resources = await (await session.client()).discover();
      if (flags.namespaced !== undefined) resources = resources.filter((r) => r.namespaced === flags.namespaced);
      if (flags.apiGroup !== undefined) resources = resources.filter((r) => r.group === flags.apiGroup);
      const text = apiResourcesText(resources, format, flags.headers === false);
      if (text === '' && format !== 'name') println(env.stderr, 'No resources found');
      env.stdout.write(text);
    }),
  );
}
