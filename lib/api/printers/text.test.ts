import { expect } from 'chai';
import type { KubeObject } from '../object';
import { toTable } from './table';
import { kindPrefix, noResourcesMessage, renderTable, renderTables } from './text';

const now = new Date('2024-05-01T12:00:00Z');

function pod(name: string, ns: string, phase: string, ready: boolean, labels?: Record<string, string>): KubeObject {
  return {
    kind: 'Pod',
    metadata: { name, namespace: ns, creationTimestamp: '2024-05-01T11:58:00Z', labels },
    spec: { nodeName: 'node-a', containers: [{ name: 'app' }] },
    status: { phase, podIP: '10.1.0.7', containerStatuses: [{ name: 'app', ready, restartCount: 0, state: ready ? { running: {} } : { waiting: { reason: 'ContainerCreating' } } }] },
  };
}

describe('printers/text', () => {
  const pods = [pod('web-1', 'default', 'Running', true, { app: 'web', tier: 'fe' }), pod('db-0', 'data', 'Pending', false)];

  it('renders kubectl get output with upper-case headers and three-space padding', () => {
    expect(renderTable(toTable(pods, { now }))).to.equal(
      'NAME    READY   STATUS              RESTARTS   AGE\n' +
      'web-1   1/1     Running             0          2m\n' +
      'db-0    0/1     ContainerCreating   0          2m\n',
    );
  });

  it('-o wide adds priority-1 columns', () => {
    expect(renderTable(toTable(pods, { now }), { wide: true })).to.equal(
      'NAME    READY   STATUS              RESTARTS   AGE   IP         NODE     NOMINATED NODE   READINESS GATES\n' +
      'web-1   1/1     Running             0          2m    10.1.0.7   node-a   <none>           <none>\n' +
      'db-0    0/1     ContainerCreating   0          2m    10.1.0.7   node-a   <none>           <none>\n',
    );
  });

  it('-A adds NAMESPACE first and --show-labels adds LABELS last', () => {
    expect(renderTable(toTable(pods, { now }), { withNamespace: true, showLabels: true })).to.equal(
      'NAMESPACE   NAME    READY   STATUS              RESTARTS   AGE   LABELS\n' +
      'default     web-1   1/1     Running             0          2m    app=web,tier=fe\n' +
      'data        db-0    0/1     ContainerCreating   0          2m    <none>\n',
    );
  });

  it('--no-headers, and null cells print as <none>', () => {
    const t = toTable([pods[0]], { now });
    t.rows[0].cells[2] = null;
    expect(renderTable(t, { noHeaders: true })).to.equal('web-1   1/1   <none>   0     2m\n');
  });

  it('kind-prefixed names when several kinds print together', () => {
    expect(kindPrefix('Pod')).to.equal('pod');
    expect(kindPrefix('Deployment', 'apps')).to.equal('deployment.apps');
    const deploy: KubeObject = {
      kind: 'Deployment',
      metadata: { name: 'web', creationTimestamp: '2024-05-01T11:00:00Z' },
      spec: { replicas: 1, template: { spec: { containers: [] } } },
      status: { readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 },
    };
    const out = renderTables([
      { table: toTable([pods[0]], { now }), kind: 'Pod' },
      { table: toTable([], { now, kind: 'Service' }), kind: 'Service' },
      { table: toTable([deploy], { now }), kind: 'Deployment', group: 'apps' },
    ]);
    expect(out).to.equal(
      'NAME        READY   STATUS    RESTARTS   AGE\n' +
      'pod/web-1   1/1     Running   0          2m\n' +
      '\n' +
      'NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n' +
      'deployment.apps/web   1/1     1            1           60m\n',
    );
  });

  it('empty tables render nothing; the message is separate', () => {
    expect(renderTable(toTable([], { now, kind: 'Pod' }))).to.equal('');
    expect(noResourcesMessage('default')).to.equal('No resources found in default namespace.');
    expect(noResourcesMessage()).to.equal('No resources found');
  });

  it('a malformed table does not throw', () => {
    const bad = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: {}, columnDefinitions: null, rows: [{ cells: null }] } as never;
    expect(() => renderTable(bad)).not.to.throw();
  });
});
