import { expect } from 'chai';
import type { Pod, Service } from '../../../lib/api/types/core';
import { desiredSubsets, findPodPort, MAX_ENDPOINT_ADDRESSES } from './endpoint-subsets';

const service = (spec: Service['spec'] = {}): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'ns' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
});

let uid = 0;
function pod(ip: string, opts: { ready?: boolean; phase?: string; deleting?: boolean; hostname?: string; subdomain?: string; port?: number } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${ip}`, namespace: 'ns', uid: `u${++uid}`, labels: { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: opts.port ?? 8080 }] }], hostname: opts.hostname, subdomain: opts.subdomain },
    status: { phase: opts.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

describe('Endpoints subsets', () => {
  it('lists ready pods under addresses and unready ones under notReadyAddresses, sorted by IP, with the named port resolved', () => {
    const { subsets, truncated } = desiredSubsets(service(), [pod('10.42.0.10'), pod('10.42.0.9'), pod('10.42.0.11', { ready: false })]);
    expect(truncated).to.equal(0);
    expect(subsets).to.have.length(1);
    expect(subsets[0]!.addresses!.map((a) => a.ip)).to.deep.equal(['10.42.0.9', '10.42.0.10']);
    expect(subsets[0]!.notReadyAddresses!.map((a) => a.ip)).to.deep.equal(['10.42.0.11']);
    expect(subsets[0]!.ports).to.deep.equal([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(subsets[0]!.addresses![0]).to.deep.include({ nodeName: 'n1' });
    expect(subsets[0]!.addresses![0]!.targetRef).to.include({ kind: 'Pod', namespace: 'ns', name: 'p-10.42.0.9' });
  });

  it('leaves out pods without an IP, finished pods and terminating pods (kept with publishNotReadyAddresses, as ready)', () => {
    const noIp = pod('');
    const pods = [noIp, pod('10.0.0.1', { phase: 'Succeeded' }), pod('10.0.0.2', { phase: 'Failed' }), pod('10.0.0.3', { deleting: true }), pod('10.0.0.4', { ready: false })];
    expect(desiredSubsets(service(), pods).subsets[0]!.addresses).to.equal(undefined);
    expect(desiredSubsets(service(), pods).subsets[0]!.notReadyAddresses!.map((a) => a.ip)).to.deep.equal(['10.0.0.4']);
    const published = desiredSubsets(service({ publishNotReadyAddresses: true }), pods).subsets;
    expect(published[0]!.addresses!.map((a) => a.ip)).to.deep.equal(['10.0.0.3', '10.0.0.4']);
  });

  it('groups pods by the ports they resolve: a pod without the named port drops out of that port', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 9090 }] });
    const unnamed = pod('10.0.0.2');
    unnamed.spec!.containers![0]!.ports = [];
    const { subsets } = desiredSubsets(svc, [pod('10.0.0.1'), unnamed]);
    expect(subsets.map((s) => [s.addresses!.map((a) => a.ip), s.ports!.map((p) => p.port)])).to.deep.equal([
      [['10.0.0.1'], [8080, 9090]],
      [['10.0.0.2'], [9090]],
    ]);
  });

  it('gives hostnames to pods whose subdomain is the Service, and headless Services without ports still list addresses', () => {
    const svc = service({ clusterIP: 'None', ports: [] });
    const { subsets } = desiredSubsets(svc, [pod('10.0.0.1', { hostname: 'web-0', subdomain: 'web' }), pod('10.0.0.2', { hostname: 'x', subdomain: 'other' })]);
    expect(subsets).to.deep.equal([
      {
        addresses: [
          { ip: '10.0.0.1', nodeName: 'n1', hostname: 'web-0', targetRef: subsets[0]!.addresses![0]!.targetRef },
          { ip: '10.0.0.2', nodeName: 'n1', targetRef: subsets[0]!.addresses![1]!.targetRef },
        ],
      },
    ]);
  });

  it('resolves targetPort: a number, a numeric string, a name with its protocol, or the port itself', () => {
    const p = pod('10.0.0.1');
    expect(findPodPort(p, { port: 80, targetPort: 81 })).to.equal(81);
    expect(findPodPort(p, { port: 80, targetPort: '82' })).to.equal(82);
    expect(findPodPort(p, { port: 80, targetPort: 'http' })).to.equal(8080);
    expect(findPodPort(p, { port: 80, targetPort: 'http', protocol: 'UDP' })).to.equal(undefined);
    expect(findPodPort(p, { port: 80 })).to.equal(80);
  });

  it(`keeps at most ${MAX_ENDPOINT_ADDRESSES} addresses, ready ones first`, () => {
    const pods = Array.from({ length: MAX_ENDPOINT_ADDRESSES + 5 }, (_, i) => pod(`10.1.${Math.floor(i / 250)}.${i % 250}`, { ready: i >= 5 }));
    const { subsets, truncated } = desiredSubsets(service(), pods);
    expect(truncated).to.equal(5);
    expect(subsets[0]!.addresses).to.have.length(MAX_ENDPOINT_ADDRESSES);
    expect(subsets[0]!.notReadyAddresses).to.equal(undefined);
  });
});
