import { Command, CommanderError } from 'commander';
import { ConfigError } from '../store/server/member-config';
import { apiserverCommand } from './apiserver-command';
import { apiserverCommands } from './apiserver-commands';
import { balancerCommand } from './balancer-command';
import { controllerManagerCommand } from './controller-manager-command';
import { dnsCommand } from './dns-command';
import { imageCommand } from './image-command';
import { kubeconfigsCommand } from './kubeconfigs-command';
import { processCliEnv } from './process-env';
import { schedulerCommand } from './scheduler-command';
import { ingressCommand } from './ingress-command';
import { nodeAgentCommand } from './node-agent-command';
import { proxyCommand } from './proxy-command';
import { storeCommand } from './store-command';
import { upCommand } from './up-command';
import { downCommand } from './down-command';
import { hoistConnectionFlags } from './leading-flags';

/** The `bosun` program: one subcommand per component, plus `up` for a local cluster. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('bosun')
    .description('Bosun: a small Kubernetes-style orchestrator with its own raft key-value store')
    .exitOverride()
    // Options belong to the command they follow, so `bosun store restore --name …` reaches restore.
    .enablePositionalOptions()
    .addCommand(storeCommand())
    .addCommand(apiserverCommand())
    .addCommand(controllerManagerCommand())
    .addCommand(schedulerCommand())
    .addCommand(nodeAgentCommand())
    .addCommand(dnsCommand())
    .addCommand(ingressCommand())
    .addCommand(proxyCommand())
    .addCommand(upCommand())
    .addCommand(downCommand())
    .addCommand(kubeconfigsCommand())
    .addCommand(balancerCommand())
    .addCommand(imageCommand());
  const clientCommands = apiserverCommands(processCliEnv());
  for (const c of clientCommands) program.addCommand(c);
  // argv is [node, script, ...user arguments].
  const userArgs = hoistConnectionFlags(argv.slice(2), new Set(clientCommands.map((c) => c.name())));
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
