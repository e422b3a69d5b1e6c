import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import pino from 'pino';
import { type GetStatusResponse, ProxyStatusClient } from '../../gen/bosun/proxy';
import { FakeApiClient } from '../../lib/client/testing/fake-api-client';
import { freePort } from '../../lib/launcher/store-cluster';
import { ProxyServer } from './proxy-server';
import { testService, testSlice } from './testing/proxy-fixtures';
import { UserspaceDataPath } from './userspace/userspace-data-path';

describe('ProxyServer status API (real gRPC, userspace data path on 127.0.0.x)', () => {
  it('answers bosun.proxy.v1.ProxyStatus/GetStatus with mode, nodes, sync figures and the routing table', async () => {
    const logger = pino({ level: 'silent' });
    const api = new FakeApiClient();
    const port = await freePort();
    api.seed(testService('web', { type: 'NodePort', clusterIP: '127.0.0.2', clusterIPs: ['127.0.0.2'], ports: [{ name: 'p', port, nodePort: await freePort(), protocol: 'TCP' }] }));
    api.seed(testSlice('web-a', 'web', 8080, [{ ip: '127.0.0.1', nodeName: 'n1' }, { ip: '127.0.0.5', ready: false, nodeName: 'n2' }]));
    const options = { localNodes: new Set(['n1', 'n2']), serviceCidr: '10.43.0.0/16', clusterCidr: '10.42.0.0/16', nodePortAddresses: ['127.0.0.4'], logger };
    const server = await ProxyServer.start({ apiservers: [], client: api, dataPath: new UserspaceDataPath({ ...options, manageLocalRoute: false }), nodeNames: options.localNodes, serviceCidr: options.serviceCidr, clusterCidr: options.clusterCidr, grpcListen: '127.0.0.1:0' }, logger);
    try {
      const client = new ProxyStatusClient(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
      const st = await new Promise<GetStatusResponse>((resolve, reject) => client.getStatus({}, (err, res) => (err ? reject(err) : resolve(res))));
      client.close();
      expect(st).to.deep.include({ mode: 'userspace', nodeNames: ['n1', 'n2'], serviceCidr: '10.43.0.0/16', servicePorts: 1, endpoints: 1, rules: 2, lastError: '' });
      expect(Number(st.syncsTotal)).to.equal(1);
      expect(st.lastSyncTime).to.match(/^\d{4}-\d\d-\d\dT/);
      const [route] = st.routes;
      expect(route).to.deep.include({ key: 'default/web:p/TCP', type: 'NodePort', clusterIps: ['127.0.0.2'], port, sessionAffinity: 'None' });
      expect(route!.endpoints.map((e) => [e.ip, e.ready, e.internal, e.external])).to.deep.equal([
        ['127.0.0.1', true, true, true],
        ['127.0.0.5', false, false, false],
      ]);
    } finally {
      await server.stop();
    }
  });
});
