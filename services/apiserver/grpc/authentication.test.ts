import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiscoveryService } from '../../../gen/bosun/api/requests';
import { ApiError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { bindLoopback } from '../../../lib/grpc/bind-loopback';
import { ANONYMOUS_USER, AUTHENTICATED_GROUP, requestUser, type UserInfo } from '../authn/request-user';
import { BearerAuthenticator, ensureTokenFile, ensureUserToken, readTokenEntries } from '../http/bearer-auth';
import { httpsRequest } from '../http/test-clients';
import { TwoDoorApiServer } from '../test-api-server';
import type { PeerCertificate } from 'node:tls';
import { TokenAuthenticatorChain } from '../authn/token-authenticator';
import { ANONYMOUS_FORBIDDEN_MESSAGE, authenticatedService, authenticateCall, INVALID_TOKEN_MESSAGE, NO_CREDENTIALS_MESSAGE } from './authentication';

const CONFIGMAPS = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'], categories: [] };

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).to.be.instanceOf(ApiError);
  return err as ApiError;
}

describe('gRPC door authentication', () => {
  describe('token file and authenticator', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-authn-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reads Kubernetes' static token format and adds a missing user's token once, keeping the rest", () => {
      const file = path.join(dir, 'tokens.csv');
      fs.writeFileSync(file, '# an earlier cluster: only the admin token\nadmintoken,admin\n');
      const token = ensureUserToken(file, { name: 'system:kube-scheduler', uid: 'system:kube-scheduler', groups: [] });
      expect(ensureUserToken(file, { name: 'system:kube-scheduler', groups: [] })).to.equal(token);
      expect(ensureTokenFile(file)).to.equal('admintoken');
      fs.appendFileSync(file, 'tok3,alice,uid-7,"devs,ops"\n');
      expect(readTokenEntries(file)).to.deep.equal([
        { token: 'admintoken', user: { name: 'admin', groups: [] } },
        { token, user: { name: 'system:kube-scheduler', uid: 'system:kube-scheduler', groups: [] } },
        { token: 'tok3', user: { name: 'alice', uid: 'uid-7', groups: ['devs', 'ops'] } },
      ]);
      const auth = new BearerAuthenticator(readTokenEntries(file));
      expect(auth.userOf('Bearer tok3')).to.deep.equal({ name: 'alice', uid: 'uid-7', groups: ['devs', 'ops', AUTHENTICATED_GROUP] });
      expect(auth.userOf(`bearer ${token}`)?.name).to.equal('system:kube-scheduler');
      expect(auth.userOf('Bearer nope')).to.equal(undefined);
      expect(auth.userOf('Basic tok3')).to.equal(undefined);
    });

    it('authenticates call metadata: the user for a known token or a verified certificate, 401 otherwise; anonymous (when on) reaches no API method', () => {
      const auth = new BearerAuthenticator([{ token: 'good', user: { name: 'bob', groups: [] } }]);
      const md = (...values: string[]) => {
        const m = new grpc.Metadata();
        for (const v of values) m.add('authorization', v);
        return m;
      };
      expect(() => authenticateCall(md(), auth)).to.throw(ApiError, NO_CREDENTIALS_MESSAGE);
      expect(() => authenticateCall(md(), auth, { anonymousAuth: true })).to.throw(ApiError, ANONYMOUS_FORBIDDEN_MESSAGE);
      expect((authenticateCall(md('Bearer good'), auth) as UserInfo).name).to.equal('bob');
      const chain = new TokenAuthenticatorChain(auth, undefined);
      const cert = { subject: { CN: 'carol', O: ['devs', 'ops'] }, ext_key_usage: ['1.3.6.1.5.5.7.3.2'] } as unknown as PeerCertificate;
      expect(authenticateCall(md(), chain, { peerCertificate: cert })).to.deep.equal({ name: 'carol', groups: ['devs', 'ops', AUTHENTICATED_GROUP] });
      const serving = { subject: { CN: 'bosun-apiserver' }, ext_key_usage: ['1.3.6.1.5.5.7.3.1'] } as unknown as PeerCertificate;
      expect(() => authenticateCall(md(), chain, { peerCertificate: serving }), 'a serving certificate is no client identity').to.throw(ApiError, NO_CREDENTIALS_MESSAGE);
      expect(() => authenticateCall(md('Bearer bad'), auth)).to.throw(ApiError, INVALID_TOKEN_MESSAGE);
      expect(() => authenticateCall(md('Bearer good', 'Bearer good'), auth)).to.throw(ApiError, INVALID_TOKEN_MESSAGE);
      // No token file configured: credentials are not checked, the call is anonymous.
      expect(authenticateCall(md('Bearer anything'), undefined)).to.equal(ANONYMOUS_USER);
    });

    it('runs each call as its user (requestUser in the handler) and refuses bad tokens before the handler', async () => {
      const users: (UserInfo | undefined)[] = [];
      const auth = new BearerAuthenticator([{ token: 'good', user: { name: 'bob', groups: ['team'] } }]);
      const impl = {
        serverResources: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
          // After an await too: the user follows the request's async work.
          void Promise.resolve().then(() => {
            users.push(requestUser());
            cb(null, { resources: [] });
          });
        },
      };
      const server = new grpc.Server();
      server.addService(DiscoveryService, authenticatedService(DiscoveryService, impl, auth));
      const port = await bindLoopback(server);
      const clients = ['good', 'bad', undefined].map((token) => new GrpcApiClient({ endpoints: [`127.0.0.1:${port}`], token }));
      try {
        await clients[0]!.discover();
        const err = await failure(clients[1]!.discover());
        expect(err.code).to.equal(401);
        expect(err.reason).to.equal('Unauthorized');
        expect(err.message).to.equal(INVALID_TOKEN_MESSAGE);
        expect((await failure(clients[2]!.discover())).message, 'no credentials, anonymous off').to.equal(NO_CREDENTIALS_MESSAGE);
        expect(users).to.deep.equal([{ name: 'bob', groups: ['team', AUTHENTICATED_GROUP] }]);
      } finally {
        for (const c of clients) c.close();
        server.forceShutdown();
      }
    });
  });

  describe('through a real apiserver (both doors, one token file)', function () {
    this.timeout(60_000);
    let api: TwoDoorApiServer;
    before(async () => {
      api = await TwoDoorApiServer.start('bosun-grpc-authn-');
    });
    after(async () => api?.stop());

    it('serves a client with a valid token on unary calls and watches', async () => {
      const client = new GrpcApiClient({ endpoints: [api.server.grpcAddress], token: api.token });
      try {
        expect((await client.discover()).length).to.be.greaterThan(0);
        const cms = client.resource<KubeObject>(CONFIGMAPS);
        const created = await cms.create('default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'authn' }, data: { a: '1' } } as KubeObject);
        const watch = cms.watch('default', { resourceVersion: '0' });
        for await (const event of watch) {
          expect(event.object.metadata.name).to.equal('authn');
          break;
        }
        watch.stop();
        await cms.delete('default', created.metadata.name!);
      } finally {
        client.close();
      }
    });

    it('refuses an unknown token with UNAUTHENTICATED (401 Unauthorized) on every kind of call, as HTTPS does', async () => {
      const client = new GrpcApiClient({ endpoints: [api.server.grpcAddress], token: 'not-a-known-token', callTimeoutMs: 5_000 });
      try {
        for (const call of [client.discover(), client.resource(CONFIGMAPS).list('default'), client.resource(CONFIGMAPS).get('default', 'x')]) {
          const err = await failure(call);
          expect([err.code, err.reason]).to.deep.equal([401, 'Unauthorized']);
        }
        const watchErr = await failure(
          (async () => {
            for await (const _ of client.resource(CONFIGMAPS).watch('default')) break;
          })(),
        );
        expect(watchErr.code).to.equal(401);
      } finally {
        client.close();
      }
      const http = api.server.http!;
      const https = await httpsRequest({ port: http.port, caCert: http.tls.caCert, token: 'not-a-known-token' }, 'GET', '/api/v1/namespaces/default/configmaps');
      expect(https.status).to.equal(401);
    });

    it('makes the authenticated user available to the rest layer, through either door', async () => {
      const rest = api.server.resources.byResource('', 'configmaps')!;
      const seen: (string | undefined)[] = [];
      const original = rest.get.bind(rest);
      rest.get = async (namespace, name) => {
        seen.push(requestUser()?.name);
        return original(namespace, name);
      };
      const client = new GrpcApiClient({ endpoints: [api.server.grpcAddress], token: api.token });
      try {
        await failure(client.resource(CONFIGMAPS).get('default', 'absent'));
        expect((await api.request('GET', '/api/v1/namespaces/default/configmaps/absent')).status).to.equal(404);
        await failure(api.grpc.resource(CONFIGMAPS).get('default', 'absent'));
      } finally {
        client.close();
        rest.get = original;
      }
      expect(seen).to.deep.equal(['admin', 'admin', 'admin']);
    });

    it('refuses calls without credentials (anonymous off, the default)', async () => {
      const anonymous = new GrpcApiClient({ endpoints: [api.server.grpcAddress] });
      try {
        expect((await failure(anonymous.resource(CONFIGMAPS).list('default'))).message).to.equal(NO_CREDENTIALS_MESSAGE);
      } finally {
        anonymous.close();
      }
    });
  });
});
