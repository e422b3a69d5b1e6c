/**
 * The host tools the nftables data path runs (nft, ip, conntrack), optionally inside a network
 * namespace: tests give a namespace of their own, so the host's rules and routes are never
 * touched. Also the helpers other code needs: `deleteNftablesTable()` for the userspace data
 * path's start (switching modes leaves nothing of ours behind).
 */
import { CommandError, runCommand } from '../../../lib/run-command';
import { TABLE } from './names';

/** Runs host tools, inside `netns` when given (`ip netns exec NAME tool …`). */
export class NodeCommands {
  constructor(readonly netns?: string) {}

  /** Runs `tool args` (in the namespace); resolves with stdout, rejects with CommandError. */
  run(tool: string, args: string[], input?: string): Promise<string> {
    if (this.netns === undefined) return runCommand(tool, args, { input });
    return runCommand('ip', ['netns', 'exec', this.netns, tool, ...args], { input });
  }

  /** Applies one nft script as a single transaction (`nft -f -`). */
  nftScript(script: string): Promise<string> {
    return this.run('nft', ['-f', '-'], script);
  }
}

/** nft's answer when the table is not there. */
function isNoSuchTable(err: unknown): boolean {
  return err instanceof CommandError && /No such file or directory|does not exist/.test(err.stderr);
}

/**
 * Deletes `table ip bosun-proxy` if present (the nftables data path's whole kernel state). For
 * the userspace data path's start() and `bosun proxy --cleanup`. Throws only when nft itself
 * fails for another reason (not installed: nothing to delete, resolves).
 */
export async function deleteNftablesTable(commands: NodeCommands = new NodeCommands()): Promise<void> {
  try {
    await commands.run('nft', ['delete', 'table', ...TABLE.split(' ')]);
  } catch (err) {
    if (isNoSuchTable(err) || (err instanceof CommandError && err.exitCode === null)) return;
    throw err;
  }
}
