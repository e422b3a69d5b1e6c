/**
 * Network namespaces owned by a test or benchmark run (`bosun-nfttest-<pid>-<n>`), so the
 * nftables data path's real-kernel checks never touch the host: a "node" namespace with a bridge
 * and forwarding on, and "pod" namespaces wired into that bridge by veth pairs (hairpin mode on,
 * as the process runtime sets it). Everything is created and deleted by name; deleting a
 * namespace deletes its links and rules with it.
 */
import { runCommand } from '../../../../lib/run-command';

/** The bridge inside the node namespace. */
export const TEST_BRIDGE = 'br0';

let counter = 0;

/** A namespace name unique to this process. */
export function testNamespaceName(): string {
  return `bosun-nfttest-${process.pid}-${counter++}`;
}

/** True when this process may create namespaces and nft exists (root with the tools installed). */
export async function canUseKernel(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await runCommand('nft', ['--version']);
    await runCommand('conntrack', ['--version']);
    return true;
  } catch {
    return false;
  }
}

const ipBatch = (netns: string | undefined, lines: string[]) => runCommand('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], { input: lines.join('\n') + '\n' });
const sysctl = (netns: string, key: string, value: string) => runCommand('ip', ['netns', 'exec', netns, 'sysctl', '-qw', `${key}=${value}`]);

/** A node namespace: bridge `br0` holding `gateway/prefix`, forwarding on, the ranges over `unreachable` routes. */
export class TestNode {
  readonly pods: TestPod[] = [];

  private constructor(
    readonly netns: string,
    readonly gateway: string,
    readonly prefix: number,
  ) {}

  static async create(gateway = '10.42.0.1', prefix = 24, unreachable: readonly string[] = ['10.42.0.0/16', '10.43.0.0/16']): Promise<TestNode> {
    const netns = testNamespaceName();
    await runCommand('ip', ['netns', 'add', netns]);
    const node = new TestNode(netns, gateway, prefix);
    try {
      await ipBatch(netns, ['link set lo up', `link add ${TEST_BRIDGE} type bridge`, `addr add ${gateway}/${prefix} dev ${TEST_BRIDGE}`, `link set ${TEST_BRIDGE} up`, ...unreachable.map((r) => `route add unreachable ${r}`)]);
      await sysctl(netns, 'net.ipv4.ip_forward', '1');
    } catch (err) {
      await node.delete();
      throw err;
    }
    return node;
  }

  /** A pod namespace with `ip` on the bridge (its veth port in hairpin mode) and a default route via the gateway. */
  async addPod(ip: string): Promise<TestPod> {
    const index = this.pods.length;
    const netns = `${this.netns}-p${index}`;
    const hostVeth = `vh${process.pid % 100000}x${index}`.slice(0, 15);
    const peer = `vp${process.pid % 100000}x${index}`.slice(0, 15);
    await runCommand('ip', ['netns', 'add', netns]);
    const pod = new TestPod(netns, ip);
    this.pods.push(pod);
    await ipBatch(undefined, [`link add ${hostVeth} netns ${this.netns} type veth peer name ${peer} netns ${netns}`]);
    await ipBatch(this.netns, [`link set ${hostVeth} master ${TEST_BRIDGE} up`, `link set dev ${hostVeth} type bridge_slave hairpin on`]);
    await ipBatch(netns, [`link set ${peer} name eth0`, `addr add ${ip}/${this.prefix} dev eth0`, 'link set eth0 up', 'link set lo up', `route add default via ${this.gateway}`]);
    return pod;
  }

  /** Deletes the pods' namespaces and the node's (their links go with them). Never throws. */
  async delete(): Promise<void> {
    for (const pod of this.pods) await runCommand('ip', ['netns', 'delete', pod.netns]).catch(() => undefined);
    await runCommand('ip', ['netns', 'delete', this.netns]).catch(() => undefined);
  }
}

/** A pod namespace. */
export class TestPod {
  constructor(
    readonly netns: string,
    readonly ip: string,
  ) {}
}
