/**
 * Bosun's side of the DNS benchmark, in a process of its own (as `bosun dns` runs): the
 * resolver and wire server of services/dns over a DnsIndex filled with the benchmark's Services
 * directly — the same structure the informers fill in `bosun dns`, without an apiserver
 * behind it; CoreDNS's metrics are counted as in `bosun dns`. Prints `ready <port>` once it answers; stops on SIGTERM.
 * Usage: node bosun-dns-child.js <services> <port>
 */
import pino from 'pino';
import { newMetricsRegistry } from '../../lib/metrics';
import { DnsIndex } from '../../services/dns/dns-index';
import { DnsMetrics } from '../../services/dns/dns-metrics';
import { DnsResponder } from '../../services/dns/dns-responder';
import { DnsWireServer } from '../../services/dns/dns-wire-server';
import { DEFAULT_CLUSTER_DNS_IP, DEFAULT_DNS_TTL_SECONDS } from '../../services/dns/resolver';
import { BENCH_ZONE, benchRecords, benchServices } from './records';

async function main(): Promise<void> {
  const count = Number(process.argv[2]);
  const port = Number(process.argv[3]);
  const index = new DnsIndex();
  for (const svc of benchServices(benchRecords(count))) index.setService(svc);
  // With CoreDNS's metrics counted per query, as `bosun dns` does.
  const observer = new DnsMetrics(newMetricsRegistry(), `dns://127.0.0.1:${port}`);
  const responder = new DnsResponder({ index, observer, config: { zone: BENCH_ZONE, ttlSeconds: DEFAULT_DNS_TTL_SECONDS, dnsIp: DEFAULT_CLUSTER_DNS_IP } });
  const server = new DnsWireServer(responder, pino({ level: 'warn' }));
  const bound = await server.start(`127.0.0.1:${port}`);
  process.stdout.write(`ready ${bound}\n`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`bosun-dns-child: ${(err as Error).message}\n`);
  process.exit(1);
});
