import { Command, Option } from 'commander';
import { ConfigError } from '../lib/config-error';
import { defaultImageStoreDir, ImageStore } from '../services/node-agent/runtime/process/image-store';
import { ImageRefError } from '../services/node-agent/runtime/process/image-ref';
import { ImageArchiveError } from '../services/node-agent/runtime/process/image-archive';

const MEGABYTE = 1e6;

function storeOption(): Option {
  return new Option('--store <dir>', 'the node image store (shared by the process-runtime nodes of this machine)').default(defaultImageStoreDir()).env('BOSUN_IMAGE_STORE');
}

/** Collects repeated `--env K=V` values. */
function collect(value: string, previous: string[] = []): string[] {
  if (!/^[^=]+=/.test(value)) throw new ConfigError(`--env: expected KEY=VALUE, got "${value}"`);
  return [...previous, value];
}

/** Turns the store's input errors into ConfigErrors (exit 2 with the message), the rest pass. */
async function reportInputErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ImageRefError || err instanceof ImageArchiveError) throw new ConfigError(err.message);
    throw err;
  }
}

/**
 * `bosun image import|ls|rm`: the process runtime's node image store, fed without a registry
 * (`docker save` archives or rootfs tarballs such as scripts/images/build-images.sh makes).
 */
export function imageCommand(): Command {
  const image = new Command('image').description("manage the process runtime's node image store (no registry needed)");
  image
    .command('import')
    .description('import a `docker save` archive or a rootfs tarball as NAME[:TAG]')
    .argument('<name>', 'image reference, e.g. busybox:1.36')
    .argument('<file>', 'the archive')
    .addOption(storeOption())
    .option('--entrypoint <json>', 'entrypoint as a JSON array (rootfs tarballs have none)')
    .option('--cmd <json>', 'default command as a JSON array (rootfs tarball default: ["sh"])')
    .option('--env <KEY=VALUE>', 'environment (repeatable; replaces the image environment)', collect)
    .option('--workdir <dir>', 'working directory')
    .action(async (name: string, file: string, o: { store: string; entrypoint?: string; cmd?: string; env?: string[]; workdir?: string }) => {
      const json = (flag: string, v?: string): string[] | undefined => {
        if (v === undefined) return undefined;
        let parsed: unknown;
        try {
          parsed = JSON.parse(v);
        } catch {
          throw new ConfigError(`--${flag}: expected a JSON array of strings such as ["sh","-c","echo hi"], got ${v}`);
        }
        if (!Array.isArray(parsed) || parsed.some((s) => typeof s !== 'string')) throw new ConfigError(`--${flag}: expected a JSON array of strings, got ${v}`);
        return parsed as string[];
      };
      const store = new ImageStore(o.store);
      const imported = await reportInputErrors(() =>
        store.import(name, file, { entrypoint: json('entrypoint', o.entrypoint), cmd: json('cmd', o.cmd), env: o.env, workingDir: o.workdir }),
      );
      const d = store.describe(imported);
      process.stdout.write(`imported ${d.repoTags.join(', ')} ${d.id} (${(d.size / MEGABYTE).toFixed(1)} MB)\n`);
    });
  image
    .command('ls')
    .description('list the stored images')
    .addOption(storeOption())
    .action((o: { store: string }) => {
      const store = new ImageStore(o.store);
      const rows = [['REPOSITORY:TAG', 'IMAGE ID', 'SIZE']];
      for (const i of store.list()) {
        const d = store.describe(i);
        for (const tag of d.repoTags.length ? d.repoTags : ['<none>']) rows.push([tag, d.id.slice(7, 19), `${(d.size / MEGABYTE).toFixed(1)}MB`]);
      }
      const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
      for (const r of rows) process.stdout.write(r.map((v, c) => v.padEnd(widths[c])).join('   ').trimEnd() + '\n');
    });
  image
    .command('rm')
    .description('remove an image tag (the files go with the last tag)')
    .argument('<name>', 'image reference or id')
    .addOption(storeOption())
    .action(async (name: string, o: { store: string }) => {
      const store = new ImageStore(o.store);
      if (!(await reportInputErrors(async () => store.resolve(name)))) throw new ConfigError(`image "${name}" is not in ${o.store}`);
      store.remove(name, () => false);
      process.stdout.write(`removed ${name}\n`);
    });
  return image;
}
