import { expect } from 'chai';
import { podStrategy, type Pod } from './pod';
import type { PodSpec, Volume } from './pod-spec';
import { POD_VOLUME_SOURCES, PERSISTENT_VOLUME_SOURCES } from './volume-source';
import { clone, lines } from './test-helpers';

/** A pod with one container mounting nothing, and `volumes`, after create's defaulting. */
function created(volumes: Volume[]): Pod {
  const spec: PodSpec = { containers: [{ name: 'app', image: 'busybox:1.36' }], volumes: clone(volumes) };
  const p: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec };
  podStrategy.prepareForCreate(p);
  return p;
}

const claimSpec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };

describe('core/v1 pod volumes', () => {
  it('knows every source of Kubernetes VolumeSource and PersistentVolumeSource', () => {
    expect(POD_VOLUME_SOURCES).to.include.members(['hostPath', 'emptyDir', 'nfs', 'iscsi', 'csi', 'ephemeral', 'image', 'projected', 'gitRepo']);
    expect(POD_VOLUME_SOURCES).to.have.length(30);
    expect(PERSISTENT_VOLUME_SOURCES).to.include.members(['local', 'nfs', 'csi', 'iscsi', 'hostPath']);
    expect(PERSISTENT_VOLUME_SOURCES).to.not.include('emptyDir');
  });

  it('fills the defaults a real cluster shows', () => {
    const p = created([
      { name: 'none' },
      { name: 'host', hostPath: { path: '/var/log' } },
      { name: 'dapi', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      {
        name: 'proj',
        projected: {
          sources: [
            { serviceAccountToken: { path: 'token' } },
            { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
            { configMap: { name: 'cm' } },
          ],
        },
      },
      { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: clone(claimSpec) } } },
      { name: 'disk', iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0 } },
      { name: 'img', image: { reference: 'registry.example/data:v1' } },
    ]);
    expect(p.spec!.volumes).to.deep.equal([
      { name: 'none', emptyDir: {} },
      { name: 'host', hostPath: { path: '/var/log', type: '' } },
      { name: 'dapi', downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }], defaultMode: 420 } },
      {
        name: 'proj',
        projected: {
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
            { downwardAPI: { items: [{ path: 'name', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } }] } },
            { configMap: { name: 'cm' } },
          ],
          defaultMode: 420,
        },
      },
      { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { ...claimSpec, volumeMode: 'Filesystem' } } } },
      { name: 'disk', iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0, iscsiInterface: 'default' } },
      { name: 'img', image: { reference: 'registry.example/data:v1', pullPolicy: 'IfNotPresent' } },
    ]);
    expect(lines(podStrategy.validate(p))).to.deep.equal([]);
  });

  it('defaults env fieldRefs, grpc probes and ephemeral containers too', () => {
    const spec: PodSpec = {
      containers: [{
        name: 'app', image: 'busybox:1.36',
        env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        livenessProbe: { grpc: { port: 9000 } },
      }],
      ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36', targetContainerName: 'app' }],
    };
    const p: Pod = { metadata: { name: 'p', namespace: 'default' }, spec };
    podStrategy.prepareForCreate(p);
    const c = p.spec!.containers![0]!;
    expect(c.env![0]!.valueFrom).to.deep.equal({ fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } });
    expect((c.livenessProbe as { grpc: unknown }).grpc).to.deep.equal({ port: 9000, service: '' });
    expect(p.spec!.ephemeralContainers).to.deep.equal([{
      name: 'debug', image: 'busybox:1.36', targetContainerName: 'app',
      imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {},
    }]);
  });

  it('accepts one source of each common kind', () => {
    const p = created([
      { name: 'a', hostPath: { path: '/data', type: 'DirectoryOrCreate' } },
      { name: 'b', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'c', configMap: { name: 'cfg', items: [{ key: 'k', path: 'k.conf', mode: 0o600 }] } },
      { name: 'd', secret: { secretName: 'tls', optional: true } },
      { name: 'e', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
      { name: 'f', nfs: { server: 'nfs.example', path: '/exports/a' } },
      { name: 'g', csi: { driver: 'csi.example.com', volumeAttributes: { size: 'small' } } },
    ]);
    expect(lines(podStrategy.validate(p))).to.deep.equal([]);
  });

  it('refuses two sources in one volume and the missing required fields of each source', () => {
    const p = created([
      { name: 'two', hostPath: { path: '/a' }, emptyDir: {}, nfs: { server: 's', path: '/p' } },
      { name: 'host', hostPath: { path: '', type: 'Pipe' } },
      { name: 'nfs', nfs: { path: 'relative' } },
      { name: 'pvc', persistentVolumeClaim: {} },
      { name: 'sec', secret: { defaultMode: 0o1777, items: [{ key: 'a' }] } },
      { name: 'cm', configMap: { items: [{ path: 'p', mode: -1 }] } },
      { name: 'csi', csi: {} },
      { name: 'eph', ephemeral: {} },
      { name: 'eph2', ephemeral: { volumeClaimTemplate: { metadata: { labels: { 'bad key!': 'x' } }, spec: { accessModes: ['ReadWriteOnce'] } } } },
      { name: 'proj', projected: { sources: [{}, { secret: { name: 's' }, configMap: { name: 'c' } }, { serviceAccountToken: { path: 't', expirationSeconds: 60 } }] } },
      { name: 'size', emptyDir: { sizeLimit: '-1Gi' } },
    ]);
    expect(lines(podStrategy.validate(p))).to.deep.equal([
      'spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[0].nfs: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[1].hostPath.path: Required value',
      'spec.volumes[1].hostPath.type: Unsupported value: "Pipe": supported values: "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"',
      'spec.volumes[2].nfs.server: Required value',
      'spec.volumes[2].nfs.path: Invalid value: "relative": must be an absolute path',
      'spec.volumes[3].persistentVolumeClaim.claimName: Required value',
      'spec.volumes[4].secret.secretName: Required value',
      'spec.volumes[4].secret.defaultMode: Invalid value: 1023: must be a number between 0 and 0777 (octal), both inclusive',
      'spec.volumes[4].secret.items[0].path: Required value',
      'spec.volumes[5].configMap.name: Required value',
      'spec.volumes[5].configMap.items[0].key: Required value',
      'spec.volumes[5].configMap.items[0].mode: Invalid value: -1: must be a number between 0 and 0777 (octal), both inclusive',
      'spec.volumes[6].csi.driver: Required value',
      'spec.volumes[7].ephemeral.volumeClaimTemplate: Required value',
      'spec.volumes[8].ephemeral.volumeClaimTemplate.metadata.labels: Invalid value: "bad key!": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
      'spec.volumes[8].ephemeral.volumeClaimTemplate.spec.resources[storage]: Required value',
      'spec.volumes[9].projected.sources[0]: Required value: must specify a volume type',
      'spec.volumes[9].projected.sources[1].configMap: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[9].projected.sources[2].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
      'spec.volumes[10].emptyDir.sizeLimit: Invalid value: "-1Gi": must be greater than or equal to 0',
    ]);
  });
});
