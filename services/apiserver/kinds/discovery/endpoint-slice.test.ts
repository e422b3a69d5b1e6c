import { expect } from 'chai';
import type { FieldError } from '../../../../lib/api/errors';
import { formatSliceEndpoints, formatSlicePorts } from '../../../../lib/api/printers/columns-other';
import { discoveryStrategies, endpointSliceStrategy, type EndpointSlice } from './index';

function lines(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

const slice = (over: Partial<EndpointSlice> = {}): EndpointSlice => ({
  metadata: { name: 'web-abcde', namespace: 'default' },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true }, nodeName: 'n1', hostname: 'web-0' }],
  ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  ...over,
});

describe('discovery.k8s.io/v1 EndpointSlice strategy', () => {
  it('is namespaced, without short names or status', () => {
    expect(discoveryStrategies).to.deep.equal([endpointSliceStrategy]);
    expect(endpointSliceStrategy.info).to.deep.include({ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', resource: 'endpointslices', namespaced: true, shortNames: [] });
    expect(endpointSliceStrategy.hasStatus).to.equal(false);
  });

  it('accepts a slice as the controller writes it, defaulting port protocols to TCP', () => {
    const s = slice({ ports: [{ name: 'http', port: 80 }] });
    endpointSliceStrategy.prepareForCreate(s);
    expect(s.ports).to.deep.equal([{ name: 'http', port: 80, protocol: 'TCP' }]);
    expect(endpointSliceStrategy.validate(s)).to.deep.equal([]);
    const fqdn = slice({ addressType: 'FQDN', endpoints: [{ addresses: ['db.example.com'] }], ports: [{ protocol: 'TCP' }] });
    expect(endpointSliceStrategy.validate(fqdn)).to.deep.equal([]);
  });

  it('rejects a missing or unknown address type and addresses not of that type', () => {
    expect(lines(endpointSliceStrategy.validate(slice({ addressType: undefined as never, endpoints: [] })))).to.deep.equal(['addressType: Required value']);
    expect(lines(endpointSliceStrategy.validate(slice({ addressType: 'IP' as never, endpoints: [] })))).to.deep.equal([
      'addressType: Unsupported value: "IP": supported values: "IPv4", "IPv6", "FQDN"',
    ]);
    const bad = slice({ endpoints: [{ addresses: ['fd00::1'] }, { addresses: [] }, { addresses: ['10.0.0.1'], hostname: 'Not_A_Label', nodeName: 'a..b' }] });
    const errs = endpointSliceStrategy.validate(bad);
    expect(lines(errs).slice(0, 2)).to.deep.equal([
      'endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
      'endpoints[1].addresses: Required value: must contain at least 1 address',
    ]);
    expect(errs.slice(2).map((e) => e.field)).to.include.members(['endpoints[2].hostname', 'endpoints[2].nodeName']);
    expect(lines(endpointSliceStrategy.validate(slice({ addressType: 'IPv6', endpoints: [{ addresses: ['10.0.0.1'] }] })))).to.deep.equal([
      'endpoints[0].addresses[0]: Invalid value: "10.0.0.1": must be a valid IPv6 address',
    ]);
  });

  it('limits endpoints to 1000, addresses to 100 and ports to 100', () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ addresses: [`10.0.${i >> 8}.${i & 255}`] }));
    expect(lines(endpointSliceStrategy.validate(slice({ endpoints: many })))).to.deep.equal(['endpoints: Too many: 1001: must have at most 1000 items']);
    const addrs = Array.from({ length: 101 }, (_, i) => `10.0.0.${i}`);
    expect(lines(endpointSliceStrategy.validate(slice({ endpoints: [{ addresses: addrs }] })))).to.deep.equal(['endpoints[0].addresses: Too many: 101: must have at most 100 items']);
    const ports = Array.from({ length: 101 }, (_, i) => ({ name: `p${i}`, port: 1000 + i, protocol: 'TCP' }));
    expect(lines(endpointSliceStrategy.validate(slice({ ports })))).to.deep.equal(['ports: Too many: 101: must have at most 100 items']);
  });

  it('rejects duplicate or invalid port names, unknown protocols and out-of-range ports', () => {
    const s = slice({ ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'http', port: 0, protocol: 'ICMP' }, { name: 'Bad_Name', protocol: 'TCP' }, { port: 81 }] as never });
    const errs = lines(endpointSliceStrategy.validate(s));
    expect(errs.slice(0, 3)).to.deep.equal([
      'ports[1].name: Duplicate value: "http"',
      'ports[1].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      'ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
    expect(errs.some((e) => e.startsWith('ports[2].name: Invalid value: "Bad_Name"'))).to.equal(true);
    expect(errs[errs.length - 1]).to.equal('ports[3].protocol: Required value');
  });

  it('keeps addressType immutable', () => {
    const old = slice();
    expect(lines(endpointSliceStrategy.validateUpdate(slice({ addressType: 'FQDN', endpoints: [] }), old))).to.deep.equal(['addressType: Invalid value: "FQDN": field is immutable']);
    expect(endpointSliceStrategy.validateUpdate(slice({ endpoints: [] }), old)).to.deep.equal([]);
  });

  it('prints PORTS and ENDPOINTS as kubectl does', () => {
    expect(formatSlicePorts(slice({ ports: [] }))).to.equal('<unset>');
    expect(formatSlicePorts(slice({ ports: [{ port: 80 }, { port: 443 }] }))).to.equal('80,443');
    expect(formatSlicePorts(slice({ ports: [{ port: 1 }, { port: 2 }, { name: 'x' }, { port: 4 }, {}] }))).to.equal('1,2,x + 2 more...');
    expect(formatSliceEndpoints(slice({ endpoints: [] }))).to.equal('<unset>');
    const eps = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map((a) => ({ addresses: [a] }));
    expect(formatSliceEndpoints(slice({ endpoints: eps }))).to.equal('10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...');
  });
});
