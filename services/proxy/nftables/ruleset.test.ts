import { expect } from 'chai';
import type { Service } from '../../../lib/api/types/core';
import type { EndpointSlice } from '../../../lib/api/types/discovery';
import { SERVICE_NAME_LABEL, ServiceTable, type ServicePortEntry } from '../../../lib/network/service-table';
import { runCommand } from '../../../lib/run-command';
import { staleUdpFlows } from './conntrack';
import { resolveElementClaims } from './element-claims';
import { serviceChainName } from './names';
import { servicePortRules, type RulesetConfig } from './ruleset';
import { canUseKernel, TestNode } from './testing/test-namespace';
import { incrementalSyncScript, rulesetScript } from './transaction';

const config: RulesetConfig = { clusterCidr: '10.42.0.0/16', serviceCidr: '10.43.0.0/16', nodePortAddresses: [], localNodes: new Set(['n1']) };

function service(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name }, spec };
}

function slice(svc: string, ips: [string, string?][], port = 8080, protocol: 'TCP' | 'UDP' = 'TCP'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'default', name: `${svc}-x`, labels: { [SERVICE_NAME_LABEL]: svc } },
    addressType: 'IPv4',
    endpoints: ips.map(([ip, nodeName]) => ({ addresses: [ip], ...(nodeName ? { nodeName } : {}), conditions: { ready: true } })),
    ports: [{ name: 'p', port, protocol }],
  };
}

/** web: 3 endpoints; sticky: ClientIP 60 s; empty: a NodePort without endpoints; local: NodePort, externalTrafficPolicy Local. */
function sampleTable(): ServiceTable {
  const table = new ServiceTable();
  table.setService(service('web', { clusterIP: '10.43.0.20', ports: [{ name: 'p', port: 80 }] }));
  table.setSlice(slice('web', [['10.42.0.2'], ['10.42.0.3'], ['10.42.0.4']]));
  table.setService(service('sticky', { clusterIP: '10.43.0.21', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ name: 'p', port: 80 }] }));
  table.setSlice(slice('sticky', [['10.42.0.2'], ['10.42.0.3']]));
  table.setService(service('empty', { type: 'NodePort', clusterIP: '10.43.0.22', ports: [{ name: 'p', port: 80, nodePort: 30080 }] }));
  table.setService(service('local', { type: 'NodePort', clusterIP: '10.43.0.23', externalIPs: ['192.0.2.50', '127.0.0.1'], externalTrafficPolicy: 'Local', ports: [{ name: 'p', port: 80, nodePort: 30081 }] }));
  table.setSlice(slice('local', [['10.42.0.2', 'n1'], ['10.42.1.2', 'n2']]));
  return table;
}

function entry(table: ServiceTable, name: string): ServicePortEntry {
  return table.entries().find((e) => e.name === name)!;
}

function chainRules(script: string, chain: string): string[] {
  const prefix = `add rule ip bosun-proxy ${chain} `;
  return script.split('\n').filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
}

describe('nftables ruleset', () => {
  const table = sampleTable();
  const script = rulesetScript(table.entries(), config);

  it('hooks prerouting and output (dstnat), postrouting (srcnat) and filter before DNAT, in our table only', () => {
    expect(script).to.match(/^add table ip bosun-proxy$/m);
    expect(script).to.contain('add chain ip bosun-proxy nat-prerouting { type nat hook prerouting priority -100 ;');
    expect(script).to.contain('add chain ip bosun-proxy nat-output { type nat hook output priority -100 ;');
    expect(script).to.contain('add chain ip bosun-proxy nat-postrouting { type nat hook postrouting priority 100 ;');
    for (const hook of ['input', 'forward', 'output']) expect(chainRules(script, `filter-${hook}`)).to.include('ct state new jump service-endpoints-check');
    expect(chainRules(script, 'nat-postrouting')).to.deep.equal(['ip saddr . ip daddr @hairpin-endpoints jump mark-for-masquerade', 'jump masquerading']);
    const hairpin = script.split('\n').find((l) => l.startsWith('add element ip bosun-proxy hairpin-endpoints {'))!;
    for (const ip of ['10.42.0.2', '10.42.0.3', '10.42.0.4', '10.42.1.2']) expect(hairpin).to.contain(`${ip} . ${ip}`);
    expect(chainRules(script, 'masquerading')).to.deep.equal(['mark and 0x4000 == 0 return', 'mark set mark xor 0x4000', 'masquerade fully-random']);
    for (const line of script.trim().split('\n')) expect(line).to.match(/^(add|flush|delete) (table|chain|rule|set|map|element) ip bosun-proxy( |$)/);
  });

  it('balances a ClusterIP at random over its endpoints, masquerading outside sources and hairpin', () => {
    const chain = serviceChainName(entry(table, 'web'));
    const serviceIps = script.split('\n').find((l) => l.startsWith('add element ip bosun-proxy service-ips {'))!;
    const elements = serviceIps.slice(serviceIps.indexOf('{') + 1, serviceIps.lastIndexOf('}')).split(',').map((x) => x.trim());
    expect(elements).to.include(`10.43.0.20 . tcp . 80 : goto ${chain}`);
    expect(chainRules(script, chain)).to.deep.equal([
      'ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
      'meta l4proto tcp dnat to numgen random mod 3 map { 0 : 10.42.0.2 . 8080, 1 : 10.42.0.3 . 8080, 2 : 10.42.0.4 . 8080 }',
    ]);
  });

  it('keeps ClientIP affinity in a set per endpoint with the affinity timeout, checked before the random pick', () => {
    const rules = servicePortRules(entry(table, 'sticky'), config);
    expect(rules.sets.map((s) => s.declaration)).to.deep.equal(Array(2).fill('{ type ipv4_addr ; flags dynamic,timeout ; timeout 60s ; }'));
    const [serviceChain, ...endpointChains] = [rules.chains.find((c) => c.name.startsWith('service-'))!, ...rules.chains.filter((c) => c.name.startsWith('endpoint-'))];
    expect(serviceChain.rules[1]).to.equal(`ip saddr @${rules.sets[0]!.name} goto ${endpointChains[0]!.name}`);
    expect(serviceChain.rules[3]).to.match(/^numgen random mod 2 vmap \{ 0 : goto endpoint-.*, 1 : goto endpoint-.* \}$/);
    expect(endpointChains[0]!.rules).to.deep.equal([`update @${rules.sets[0]!.name} { ip saddr }`, 'meta l4proto tcp dnat to 10.42.0.2:8080']);
  });

  it('rejects a Service without endpoints at once, on its ClusterIP and its NodePort', () => {
    const rules = servicePortRules(entry(table, 'empty'), config);
    expect(rules.chains).to.have.length(0);
    expect(rules.elements).to.deep.equal([
      { map: 'no-endpoint-services', key: '10.43.0.22 . tcp . 80', verdict: 'goto reject-chain' },
      { map: 'no-endpoint-nodeports', key: 'tcp . 30080', verdict: 'goto reject-chain' },
    ]);
    expect(chainRules(script, 'reject-chain')).to.deep.equal(['meta l4proto tcp reject with tcp reset', 'reject']);
    expect(chainRules(script, 'services')[1]).to.equal('fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports');
  });

  it('sends external Local-policy traffic to this node’s endpoints only, keeping the client address (loopback external IPs skipped)', () => {
    const e = entry(table, 'local');
    const rules = servicePortRules(e, config);
    const external = rules.chains.find((c) => c.name.startsWith('external-'))!;
    expect(external.rules).to.deep.equal([
      `ip saddr 10.42.0.0/16 goto ${serviceChainName(e)}`,
      'fib saddr type local jump mark-for-masquerade',
      `fib saddr type local goto ${serviceChainName(e)}`,
      'meta l4proto tcp dnat to 10.42.0.2:8080',
    ]);
    expect(rules.elements.map((x) => `${x.map} ${x.key}`)).to.deep.equal(['service-ips 10.43.0.23 . tcp . 80', 'service-ips 192.0.2.50 . tcp . 80', 'service-nodeports tcp . 30081']);
  });

  it('gives a contested map key to the first port by key and reports the other', () => {
    const t = new ServiceTable();
    for (const name of ['a', 'b']) t.setService(service(name, { clusterIP: name === 'a' ? '10.43.0.30' : '10.43.0.31', externalIPs: ['192.0.2.9'], ports: [{ name: 'p', port: 80 }] }));
    const { ports, conflicts } = resolveElementClaims(t.entries().map((e) => servicePortRules(e, config)));
    expect(conflicts).to.deep.equal([{ port: 'default/b:p/TCP', owner: 'default/a:p/TCP', key: '192.0.2.9 . tcp . 80' }]);
    expect(ports[1]!.elements.map((e) => e.key)).to.deep.equal(['10.43.0.31 . tcp . 80']);
  });

  it('an incremental script touches only the changed port’s chains and elements', () => {
    const before = servicePortRules(entry(table, 'web'), config);
    const t = sampleTable();
    t.setSlice(slice('web', [['10.42.0.2'], ['10.42.0.5']]));
    const after = servicePortRules(entry(t, 'web'), config);
    const text = incrementalSyncScript([{ before, after }], { add: ['10.42.0.5'], remove: [] });
    const chain = serviceChainName(entry(t, 'web'));
    expect(text.trim().split('\n')).to.deep.equal([
      `flush chain ip bosun-proxy ${chain}`,
      ...after.chains[0]!.rules.map((r) => `add rule ip bosun-proxy ${chain} ${r}`),
      'add element ip bosun-proxy hairpin-endpoints { 10.42.0.5 . 10.42.0.5 }',
    ]);
    expect(incrementalSyncScript([{ before, after: before }])).to.not.contain('element');
    const removed = incrementalSyncScript([{ before }]);
    expect(removed).to.contain('delete element ip bosun-proxy service-ips { 10.43.0.20 . tcp . 80 }');
    expect(removed).to.contain(`delete chain ip bosun-proxy ${chain}`);
  });

  it('names the UDP flows to forget: those DNATed to a removed endpoint, and all once the first endpoint appears', () => {
    const t = new ServiceTable();
    t.setService(service('dns', { type: 'NodePort', clusterIP: '10.43.0.10', ports: [{ name: 'p', port: 53, protocol: 'UDP', nodePort: 30053 }] }));
    const none = entry(t, 'dns');
    t.setSlice(slice('dns', [['10.42.0.7'], ['10.42.0.8']], 53, 'UDP'));
    const two = entry(t, 'dns');
    t.setSlice(slice('dns', [['10.42.0.8']], 53, 'UDP'));
    const one = entry(t, 'dns');
    expect(staleUdpFlows(none, two, config.localNodes)).to.deep.equal([{ origDst: '10.43.0.10' }, { origPortDst: 30053 }]);
    expect(staleUdpFlows(two, one, config.localNodes)).to.deep.equal([{ origDst: '10.43.0.10', dnatTo: '10.42.0.7' }, { origPortDst: 30053, dnatTo: '10.42.0.7' }]);
    expect(staleUdpFlows(entry(table, 'web'), undefined, config.localNodes)).to.deep.equal([]);
  });

  it('is valid nft (checked by `nft -c` in a namespace of its own)', async function () {
    if (!(await canUseKernel())) this.skip();
    const node = await TestNode.create();
    try {
      await runCommand('ip', ['netns', 'exec', node.netns, 'nft', '-c', '-f', '-'], { input: script });
      await runCommand('ip', ['netns', 'exec', node.netns, 'nft', '-c', '-f', '-'], { input: rulesetScript(table.entries(), { ...config, nodePortAddresses: ['10.42.0.1', '192.0.2.0/24'] }) });
    } finally {
      await node.delete();
    }
  });
});
