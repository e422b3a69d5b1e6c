import { expect } from 'chai';
import type { JsonObject, JsonValue } from './json-value';
import { fullNode, fullPodSpec } from '../proto/test-objects';
import { applyStrategicMergePatch, rootSchema } from './strategic-merge-patch';

/** A strategic merge patch of a Node or Pod: the object after `patch`. */
function smp(obj: JsonObject, patch: JsonValue): any {
  return applyStrategicMergePatch(obj, patch, rootSchema(String(obj.apiVersion), String(obj.kind)));
}

function pod(): JsonObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default' }, spec: fullPodSpec() as JsonObject };
}

describe('strategic merge patch of the complete Node and Pod messages (upstream patch keys)', () => {
  it('node status: conditions merge by type and addresses by type; images and taints are replaced whole', () => {
    const node = fullNode() as JsonObject;
    const out = smp(node, {
      spec: { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] },
      status: {
        conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }],
        addresses: [{ type: 'ExternalIP', address: '203.0.113.5' }],
        images: [{ names: ['busybox:1.36'], sizeBytes: 1 }],
      },
    });
    expect(out.spec.taints).to.deep.equal([{ key: 'maintenance', effect: 'NoSchedule' }]);
    expect(out.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`))
      .to.deep.equal(['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=False']);
    expect(out.status.conditions[3].lastHeartbeatTime).to.equal('2024-05-01T12:00:00Z');
    // A new element comes first (no $setElementOrder), as in Kubernetes.
    expect(out.status.addresses.map((a: { type: string }) => a.type)).to.deep.equal(['ExternalIP', 'InternalIP', 'Hostname']);
    expect(out.status.images).to.deep.equal([{ names: ['busybox:1.36'], sizeBytes: 1 }]);
  });

  it('pod spec: tolerations replaced whole, volumes merge by name and switch source with $retainKeys, gates delete by name, spread merges by topologyKey', () => {
    const out = smp(pod(), {
      spec: {
        tolerations: [{ operator: 'Exists' }],
        volumes: [{ name: 'scratch', $retainKeys: ['name', 'nfs'], nfs: { server: 'nfs.example.com', path: '/scratch' } }],
        schedulingGates: [{ name: 'example.com/quota', $patch: 'delete' }],
        topologySpreadConstraints: [{ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 2 }],
      },
    });
    expect(out.spec.tolerations).to.deep.equal([{ operator: 'Exists' }]);
    const scratch = out.spec.volumes.find((v: { name: string }) => v.name === 'scratch');
    expect(scratch).to.deep.equal({ name: 'scratch', nfs: { server: 'nfs.example.com', path: '/scratch' } });
    expect(out.spec.volumes).to.have.length(10);
    expect(out.spec.schedulingGates).to.deep.equal([]);
    expect(out.spec.topologySpreadConstraints).to.have.length(1);
    expect(out.spec.topologySpreadConstraints[0]).to.include({ maxSkew: 2, whenUnsatisfiable: 'DoNotSchedule', minDomains: 2 });
  });
});
