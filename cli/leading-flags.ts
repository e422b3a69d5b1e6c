/**
 * kubectl takes its connection flags before the command too (`kubectl --server X get ns`,
 * `kubectl -n web get pods`). Commander binds an option to the command it follows, so the
 * `bosun` program moves such leading flags behind the command name before parsing: both
 * `bosun --server X get ns` and `bosun get ns --server X` reach `get`.
 */

/** The connection flags every apiserver command takes (cli/session.ts), with a value each. */
const CONNECTION_FLAGS = new Set(['--server', '--kubeconfig', '--context', '--namespace', '-n', '--certificate-authority', '--as', '--as-group']);

/** The flag name of `arg` (`--server=x` → `--server`), or undefined when it is not a flag. */
function flagName(arg: string): string | undefined {
  if (!arg.startsWith('-') || arg === '-' || arg === '--') return undefined;
  const eq = arg.indexOf('=');
  return eq < 0 ? arg : arg.slice(0, eq);
}

/**
 * `argv` (user arguments, without node and script) with the connection flags that precede an
 * apiserver command moved behind its name. Anything else — another leading flag, a component
 * command (`bosun --server X up`), a flag missing its value — leaves `argv` unchanged, so
 * commander reports it as before.
 */
export function hoistConnectionFlags(argv: readonly string[], commands: ReadonlySet<string>): string[] {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const name = flagName(argv[i]);
    if (name === undefined) break;
    if (!CONNECTION_FLAGS.has(name)) return [...argv];
    if (argv[i].includes('=')) {
      leading.push(argv[i]);
      i += 1;
    } else {
      if (i + 1 >= argv.length) return [...argv];
      leading.push(argv[i], argv[i + 1]);
      i += 2;
    }
  }
  if (leading.length === 0 || i >= argv.length || !commands.has(argv[i])) return [...argv];
  return [argv[i], ...leading, ...argv.slice(i + 1)];
}
