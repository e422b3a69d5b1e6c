import { expect } from 'chai';
import { BadRequestError } from '../errors';
import { Unknown } from '../../../gen/k8s/apimachinery/runtime/runtime';
import { Namespace } from '../../../gen/k8s/api/core/v1/namespace';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from './envelope';

describe('proto/envelope', () => {
  it('decodes a hand-built "k8s\\0" + Unknown body to the kind and object', () => {
    // Namespace{metadata{name:"team"}} hand-encoded: 0a 06 (metadata) 0a 04 "team".
    const raw = Buffer.from('0a060a047465616d', 'hex');
    expect(Namespace.decode(raw).metadata?.name).to.equal('team');
    const unknown = Buffer.concat([
      Buffer.from('0a0e', 'hex'), Buffer.from([0x0a, 0x02]), Buffer.from('v1'), Buffer.from([0x12, 0x09]), Buffer.from('Namespace'),
      Buffer.from([0x12, raw.length]), raw,
      Buffer.from('1a00', 'hex'), Buffer.from('2200', 'hex'),
    ]);
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
    expect(decodeKubernetesProtobuf(body)).to.deep.equal({
      apiVersion: 'v1', kind: 'Namespace', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
    });
  });

  it('round trips a Deployment like kubectl create deployment sends it', () => {
    const json = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 1, selector: { matchLabels: { app: 'web' } }, strategy: {},
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] } },
      },
      status: {},
    };
    const body = encodeKubernetesProtobuf(json);
    expect(body.subarray(0, 4).toString('latin1')).to.equal('k8s\0');
    const unknown = Unknown.decode(body.subarray(4));
    expect(unknown.typeMeta).to.deep.equal({ apiVersion: 'apps/v1', kind: 'Deployment' });
    expect(decodeKubernetesProtobuf(body)).to.deep.equal({ apiVersion: 'apps/v1', kind: 'Deployment', object: json });
  });

  it('reads gogo-style bodies: empty strings and the zero Time are omitted, pointer zeros kept', () => {
    // What Go writes for an unset ObjectMeta: name "", creationTimestamp as an empty message.
    const raw = Buffer.from('0a04' + '0a00' + '4200', 'hex');
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), Unknown.encode({ typeMeta: { apiVersion: 'v1', kind: 'ConfigMap' }, raw }).finish()]);
    expect(decodeKubernetesProtobuf(body).object).to.deep.equal({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} });
  });

  it('turns garbage into clear errors, never a crash', () => {
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.alloc(0), /magic/],
      [Buffer.from('{"kind":"Pod"}'), /magic/],
      [Buffer.from('k8s\0\xff\xff\xff', 'latin1'), /malformed Kubernetes protobuf envelope/],
      [Buffer.concat([Buffer.from('k8s\0', 'latin1'), Unknown.encode({ typeMeta: { apiVersion: 'x/v1', kind: 'Thing' } }).finish()]), /apiVersion "x\/v1", kind "Thing"/],
      [Buffer.concat([Buffer.from('k8s\0', 'latin1'), Unknown.encode({ typeMeta: { apiVersion: 'v1', kind: 'Pod' }, raw: Buffer.from([0x0a, 0x05, 0x01]) }).finish()]), /malformed protobuf v1\/Pod/],
      [Buffer.concat([Buffer.from('k8s\0', 'latin1'), Unknown.encode({ typeMeta: { apiVersion: 'v1', kind: 'Pod' }, contentEncoding: 'gzip' }).finish()]), /contentEncoding/],
    ];
    for (const [body, re] of cases) expect(() => decodeKubernetesProtobuf(body), re.source).to.throw(BadRequestError, re);
    // Random bytes after the magic: always a BadRequestError or a decoded object, never another error.
    let seed = 7;
    for (let i = 0; i < 500; i++) {
      const len = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 64;
      const bytes = Buffer.alloc(len).map(() => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
      try {
        decodeKubernetesProtobuf(Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytes]));
      } catch (e) {
        expect(e, `seed run ${i}`).to.be.instanceOf(BadRequestError);
      }
    }
  });
});
