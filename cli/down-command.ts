import { Command, Option } from 'commander';
import * as path from 'node:path';
import { stopUp } from '../lib/launcher/up-lock';

/** How long `bosun down` waits for the cluster to stop. */
const DOWN_TIMEOUT_MS = 60_000;

/** `bosun down`: stops the `bosun up` cluster of a data folder, keeping its data (the next `bosun up` resumes it). */
export function downCommand(): Command {
  return new Command('down')
    .description('stop the local cluster `bosun up` runs from --dir (every component it started); its data stays, so `bosun up` resumes it')
    .addOption(new Option('--dir <path>', 'the data folder of the cluster').default('.data/local'))
    .action(async (o: { dir: string }) => {
      const dir = path.resolve(o.dir);
      const pid = await stopUp(dir, DOWN_TIMEOUT_MS);
      process.stdout.write(pid === undefined ? `No cluster is running from ${dir}.\n` : `Stopped the cluster of ${dir} (bosun up, pid ${pid}); its data is kept.\n`);
    });
}
