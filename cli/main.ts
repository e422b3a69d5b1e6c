import { Command, CommanderError } from 'commander';
import { ConfigError } from '../lib/config-error';
import { hoistConnectionFlags } from './leading-flags';
import { silenceIpServernameWarning } from '../lib/grpc/ip-servername-warning';

/**
 * The component commands, each loaded only when needed: a component process (`bosun proxy …`)
 * loads its own code and not the apiserver's, the scheduler's and the rest, which keeps every
 * process of a local cluster smaller and quicker to start. Names as each command calls itself
 * (cli/main.test.ts checks they agree).
 */
export const COMPONENT_COMMANDS: ReadonlyMap<string, () => Promise<Command>> = new Map([
  ['store', async () => (await import('./store-command')).storeCommand()],
  ['apiserver', async () => (await import('./apiserver-command')).apiserverCommand()],
  ['controller-manager', async () => (await import('./controller-manager-command')).controllerManagerCommand()],
  ['scheduler', async () => (await import('./scheduler-command')).schedulerCommand()],
  ['node-agent', async () => (await import('./node-agent-command')).nodeAgentCommand()],
  ['dns', async () => (await import('./dns-command')).dnsCommand()],
  ['ingress', async () => (await import('./ingress-command')).ingressCommand()],
  ['proxy', async () => (await import('./proxy-command')).proxyCommand()],
  ['up', async () => (await import('./up-command')).upCommand()],
  ['down', async () => (await import('./down-command')).downCommand()],
  ['kubeconfigs', async () => (await import('./kubeconfigs-command')).kubeconfigsCommand()],
  ['balancer', async () => (await import('./balancer-command')).balancerCommand()],
  ['image', async () => (await import('./image-command')).imageCommand()],
]);

/** The client commands (get, apply, …), built on the process's terminal and environment. */
async function clientCommands(): Promise<Command[]> {
  const [{ apiserverCommands }, { processCliEnv }] = await Promise.all([import('./apiserver-commands'), import('./process-env')]);
  return apiserverCommands(processCliEnv());
}

/**
 * The commands `args` (user arguments) needs: only its component when it names one, only the
 * client commands when it names one of those, everything otherwise (help, no or an unknown
 * command: the listing and commander's suggestions need them all).
 */
async function commandsFor(args: readonly string[]): Promise<{ commands: Command[]; clientNames: Set<string> }> {
  const component = COMPONENT_COMMANDS.get(args[0] ?? '');
  if (component) return { commands: [await component()], clientNames: new Set() };
  const client = await clientCommands();
  const clientNames = new Set(client.map((c) => c.name()));
  const named = hoistConnectionFlags(args, clientNames)[0];
  if (named !== undefined && clientNames.has(named)) return { commands: client, clientNames };
  const components = await Promise.all([...COMPONENT_COMMANDS.values()].map((load) => load()));
  return { commands: [...components, ...client], clientNames };
}

/** The `bosun` program: one subcommand per component, plus `up` for a local cluster. */
export async function main(argv: string[]): Promise<void> {
  silenceIpServernameWarning();
  const program = new Command('bosun')
    .description('Bosun: a small Kubernetes-style orchestrator with its own raft key-value store')
    .exitOverride()
    // Options belong to the command they follow, so `bosun store restore --name …` reaches restore.
    .enablePositionalOptions();
  // argv is [node, script, ...user arguments].
  const { commands, clientNames } = await commandsFor(argv.slice(2));
  for (const c of commands) program.addCommand(c);
  const userArgs = hoistConnectionFlags(argv.slice(2), clientNames);
  try {
    await program.parseAsync(userArgs, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exit(err.exitCode);
    }
    if (err instanceof ConfigError) {
      console.error(`bosun: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}
