import { expect } from 'chai';
import * as crypto from 'node:crypto';
import { ApiError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import { JwtError, newSigningKeyPem, parseJwt, signingKeyFromPem, signJwt, verificationKeyOf, type SigningKey } from './jwt';
import { CLOCK_LEEWAY_SECONDS, POD_NAME_EXTRA, POD_UID_EXTRA, ServiceAccountTokens, type TokenObjectResource } from './service-account-tokens';
import { DEFAULT_ISSUER, type TokenRequest } from './token-request';

/** An in-memory cluster: objects by resource/namespace/name, and a clock the tests move. */
function world() {
  const objects = new Map<string, KubeObject>();
  const clock = { ms: Date.parse('2026-01-01T00:00:00Z') };
  const put = (resource: TokenObjectResource, namespace: string, name: string, uid: string, spec?: Record<string, unknown>): void => {
    objects.set(`${resource}/${namespace}/${name}`, { apiVersion: 'v1', kind: 'X', metadata: { name, namespace, uid }, ...(spec ? { spec } : {}) } as KubeObject);
  };
  const remove = (resource: TokenObjectResource, namespace: string, name: string): void => void objects.delete(`${resource}/${namespace}/${name}`);
  const lookup = async (resource: TokenObjectResource, namespace: string, name: string) => objects.get(`${resource}/${namespace}/${name}`);
  return { put, remove, lookup, clock };
}

function tokensWith(key: SigningKey, w: ReturnType<typeof world>, overrides: { issuer?: string; apiAudiences?: string[]; verifyWith?: SigningKey } = {}): ServiceAccountTokens {
  const issuer = overrides.issuer ?? DEFAULT_ISSUER;
  return new ServiceAccountTokens(
    { issuer, apiAudiences: overrides.apiAudiences ?? [issuer], signingKey: key, verificationKeys: [verificationKeyOf(overrides.verifyWith ?? key)] },
    w.lookup,
    () => w.clock.ms,
  );
}

const request = (spec: TokenRequest['spec'] = {}): TokenRequest => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec });

async function refusal(tokens: ServiceAccountTokens, token: string): Promise<string> {
  try {
    await tokens.verify(token);
  } catch (err) {
    expect(err).to.be.instanceOf(JwtError);
    expect(await tokens.authenticate(token)).to.equal(undefined);
    return (err as Error).message;
  }
  throw new Error('the token was accepted');
}

describe('ServiceAccount tokens', () => {
  const es256 = signingKeyFromPem(newSigningKeyPem());
  const rs256 = signingKeyFromPem(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  let w: ReturnType<typeof world>;
  let tokens: ServiceAccountTokens;

  beforeEach(() => {
    w = world();
    w.put('serviceaccounts', 'ns', 'default', 'sa-uid-1');
    w.put('pods', 'ns', 'web', 'pod-uid-1', { serviceAccountName: 'default', nodeName: 'node-a' });
    tokens = tokensWith(es256, w);
  });

  it("issues Kubernetes' claims and authenticates them as the ServiceAccount user", async () => {
    const answer = await tokens.createToken('ns', 'default', request({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } }));
    const token = answer.status!.token!;
    const claims = parseJwt(token)!.claims;
    const now = Math.floor(w.clock.ms / 1000);
    expect(claims).to.deep.include({ iss: DEFAULT_ISSUER, sub: 'system:serviceaccount:ns:default', aud: [DEFAULT_ISSUER], iat: now, nbf: now, exp: now + 3600 });
    expect(claims.jti).to.be.a('string');
    expect(claims['kubernetes.io']).to.deep.equal({ namespace: 'ns', serviceaccount: { name: 'default', uid: 'sa-uid-1' }, pod: { name: 'web', uid: 'pod-uid-1' }, node: { name: 'node-a' } });
    expect(answer.spec).to.deep.equal({ audiences: [DEFAULT_ISSUER], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'pod-uid-1' } });
    expect(answer.status!.expirationTimestamp).to.equal('2026-01-01T01:00:00Z');
    const user = await tokens.verify(token);
    expect(user.name).to.equal('system:serviceaccount:ns:default');
    expect(user.uid).to.equal('sa-uid-1');
    expect(user.groups).to.deep.equal(['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated']);
    expect(user.extra?.[POD_NAME_EXTRA]).to.deep.equal(['web']);
    expect(user.extra?.[POD_UID_EXTRA]).to.deep.equal(['pod-uid-1']);
  });

  it('signs and verifies RS256 as well', async () => {
    const rs = tokensWith(rs256, w);
    const token = (await rs.createToken('ns', 'default', request())).status!.token!;
    expect(parseJwt(token)!.header.alg).to.equal('RS256');
    expect((await rs.verify(token)).name).to.equal('system:serviceaccount:ns:default');
  });

  it('refuses a tampered payload, a wrong key, alg none and a swapped algorithm', async () => {
    const token = (await tokens.createToken('ns', 'default', request())).status!.token!;
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims['kubernetes.io'].serviceaccount.name = 'admin';
    claims.sub = 'system:serviceaccount:ns:admin';
    w.put('serviceaccounts', 'ns', 'admin', 'sa-uid-1');
    expect(await refusal(tokens, `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`)).to.equal('invalid signature');
    const other = signingKeyFromPem(newSigningKeyPem());
    const forged = signJwt(parseJwt(token)!.claims, { ...other, kid: es256.kid });
    expect(await refusal(tokens, forged)).to.equal('invalid signature');
    expect(await refusal(tokensWith(es256, w, { verifyWith: other }), token)).to.equal('invalid signature');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`;
    expect(await refusal(tokens, none)).to.match(/unsupported algorithm/);
    const hs = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: es256.kid })).toString('base64url')}.${p}.${s}`;
    expect(await refusal(tokens, hs)).to.equal('invalid signature');
  });

  it('refuses an expired token and one not valid yet (beyond the leeway)', async () => {
    const token = (await tokens.createToken('ns', 'default', request({ expirationSeconds: 600 }))).status!.token!;
    const issued = w.clock.ms;
    w.clock.ms = issued + (600 + CLOCK_LEEWAY_SECONDS - 1) * 1000;
    expect((await tokens.verify(token)).name).to.equal('system:serviceaccount:ns:default');
    w.clock.ms = issued + (600 + CLOCK_LEEWAY_SECONDS + 1) * 1000;
    expect(await refusal(tokens, token)).to.equal('token expired');
    w.clock.ms = issued - (CLOCK_LEEWAY_SECONDS + 5) * 1000;
    expect(await refusal(tokens, token)).to.equal('token not valid yet');
  });

  it('refuses a token for another audience or from another issuer', async () => {
    const other = (await tokens.createToken('ns', 'default', request({ audiences: ['vault'] }))).status!.token!;
    expect(await refusal(tokens, other)).to.equal('token audiences are not API audiences');
    const foreign = (await tokensWith(es256, w, { issuer: 'https://elsewhere' }).createToken('ns', 'default', request())).status!.token!;
    expect(tokens.claims(foreign)).to.equal(false);
    expect(await refusal(tokens, foreign)).to.equal('issuer not accepted');
  });

  it('refuses the token of a deleted ServiceAccount, and of one re-created with a new uid', async () => {
    const token = (await tokens.createToken('ns', 'default', request())).status!.token!;
    w.remove('serviceaccounts', 'ns', 'default');
    expect(await refusal(tokens, token)).to.equal('service account not found');
    w.put('serviceaccounts', 'ns', 'default', 'sa-uid-2');
    expect(await refusal(tokens, token)).to.equal('service account uid does not match');
  });

  it('refuses a pod-bound token once its pod is deleted or re-created', async () => {
    const token = (await tokens.createToken('ns', 'default', request({ boundObjectRef: { kind: 'Pod', name: 'web' } }))).status!.token!;
    w.remove('pods', 'ns', 'web');
    expect(await refusal(tokens, token)).to.equal('bound pods not found');
    w.put('pods', 'ns', 'web', 'pod-uid-2', { serviceAccountName: 'default' });
    expect(await refusal(tokens, token)).to.equal('bound pods uid does not match');
  });

  it('checks a signature once per token, yet expiry and a deleted bound pod still refuse a token seen before', async () => {
    const keys = [verificationKeyOf(es256)];
    const cached = new ServiceAccountTokens({ issuer: DEFAULT_ISSUER, apiAudiences: [DEFAULT_ISSUER], signingKey: es256, verificationKeys: keys }, w.lookup, () => w.clock.ms);
    const token = (await cached.createToken('ns', 'default', request({ boundObjectRef: { kind: 'Pod', name: 'web' }, expirationSeconds: 600 }))).status!.token!;
    const fresh = (await cached.createToken('ns', 'default', request())).status!.token!;
    expect((await cached.verify(token)).name).to.equal('system:serviceaccount:ns:default');
    keys.length = 0; // no key verifies anything now: only a remembered signature passes
    expect((await cached.verify(token)).name).to.equal('system:serviceaccount:ns:default');
    expect(await refusal(cached, fresh)).to.equal('invalid signature');
    w.remove('pods', 'ns', 'web');
    expect(await refusal(cached, token)).to.equal('bound pods not found');
    w.put('pods', 'ns', 'web', 'pod-uid-1', { serviceAccountName: 'default' });
    w.clock.ms += (600 + CLOCK_LEEWAY_SECONDS + 1) * 1000;
    expect(await refusal(cached, token)).to.equal('token expired');
  });

  it('does not claim tokens that are not JWTs (they belong to the token file)', () => {
    expect(tokens.claims('abc')).to.equal(false);
    expect(tokens.claims('a.b.c')).to.equal(false);
  });

  describe('TokenRequest', () => {
    const code = async (p: Promise<unknown>): Promise<[number, string]> => {
      try {
        await p;
      } catch (err) {
        expect(err).to.be.instanceOf(ApiError);
        return [(err as ApiError).code, (err as ApiError).message];
      }
      throw new Error('no error');
    };

    it('answers 404 for a missing ServiceAccount or bound pod, 409 for a bound uid that differs', async () => {
      expect(await code(tokens.createToken('ns', 'nobody', request()))).to.deep.equal([404, 'serviceaccounts "nobody" not found']);
      expect(await code(tokens.createToken('ns', 'default', request({ boundObjectRef: { kind: 'Pod', name: 'gone' } })))).to.deep.equal([404, 'pods "gone" not found']);
      const [c, m] = await code(tokens.createToken('ns', 'default', request({ boundObjectRef: { kind: 'Pod', name: 'web', uid: 'old' } })));
      expect(c).to.equal(409);
      expect(m).to.match(/the UID in the bound object reference \(old\) does not match/);
    });

    it('refuses a pod of another ServiceAccount, and bad specs naming the field', async () => {
      w.put('serviceaccounts', 'ns', 'builder', 'sa-uid-3');
      expect((await code(tokens.createToken('ns', 'builder', request({ boundObjectRef: { kind: 'Pod', name: 'web' } }))))[0]).to.equal(400);
      const [c, m] = await code(tokens.createToken('ns', 'default', request({ expirationSeconds: 60, boundObjectRef: { kind: 'Node', name: 'n' } })));
      expect(c).to.equal(422);
      expect(m).to.include('spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
      expect(m).to.include('spec.boundObjectRef.kind: Unsupported value: "Node"');
    });

    it('issues nothing without a signing key', async () => {
      const verifyOnly = new ServiceAccountTokens({ issuer: DEFAULT_ISSUER, apiAudiences: [DEFAULT_ISSUER], verificationKeys: [verificationKeyOf(es256)] }, w.lookup);
      expect((await code(verifyOnly.createToken('ns', 'default', request())))[0]).to.equal(400);
    });
  });
});
