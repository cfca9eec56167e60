/**
 * ServiceAccount tokens as kube-apiserver 1.32 issues and checks them:
 * `kubectl create token` (kube's claims, verified with the published key
 * set; expiry on the virtual clock with kube's minute of leeway; audiences;
 * refused once the account is gone), pod-bound tokens with the pod and node
 * extras, TokenReview, and legacy token Secrets filled by the token
 * controller. Setup goes through the in-process client; what a user sees
 * goes through kubectl and raw HTTPS.
 */
import t from 'tap';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { KubeObject } from '../../../src/api/types.js';
import type { VirtualClock } from '../../../src/runtime/clock.js';
import { virtualWaitFor } from '../../helpers/virtual-wait.js';
import { authFixture, unauthorizedStatus } from './auth-fixture.js';

const SA = { apiVersion: 'v1', kind: 'ServiceAccount' } as const;
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';

t.test('ServiceAccount tokens', async (t) => {
  const { emulator, ca, kubectl, asToken, whoami, ok, api } = await authFixture(t, { clock: 'virtual' });
  const { client } = emulator;
  const clock = emulator.clock as VirtualClock;
  const waitFor = virtualWaitFor(clock, 120);
  const admin = { token: emulator.adminToken };
  const review = async (token: string, audiences?: string[]) =>
    (
      (await api('POST', TOKEN_REVIEWS, admin, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } }))
        .body as { status: unknown }
    ).status;
  const createAccount = async (name: string) =>
    (await client.create<KubeObject>({ ...SA, metadata: { name, namespace: 'default' } })).metadata.uid;

  await t.test('kubectl create token: a JWT of the account, refused once expired or once the account is gone', async (t) => {
    const uid = await createAccount('robot');
    const token = await ok(['create', 'token', 'robot', '--duration', '10m']);
    const info = await whoami(await asToken(token));
    t.equal(info.username, 'system:serviceaccount:default:robot');
    t.equal(info.uid, uid);
    t.same(info.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    t.match(info.extra?.['authentication.kubernetes.io/credential-id'], [/^JTI=[0-9a-f-]{36}$/]);

    // The key set the apiserver publishes verifies the token, which has kube's claims.
    const discovery = await api('GET', '/.well-known/openid-configuration', admin);
    t.match(discovery.body, { issuer: ISSUER, jwks_uri: `${emulator.url}/openid/v1/jwks` });
    const jwks = await api('GET', '/openid/v1/jwks', admin);
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.body as never), { issuer: ISSUER, currentDate: clock.now() });
    t.match(payload, {
      aud: [ISSUER],
      sub: 'system:serviceaccount:default:robot',
      'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'robot', uid } },
    });
    t.equal((payload.exp ?? 0) - (payload.iat ?? 0), 600);
    t.equal(payload.nbf, payload.iat);

    const tooShort = await kubectl(['create', 'token', 'robot', '--duration', '5m']);
    t.match(tooShort.stderr, 'spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes');

    const forVault = await ok(['create', 'token', 'robot', '--audience', 'vault']);
    t.equal((await api('GET', '/api', { token: forVault })).status, 401, 'a token for another audience does not authenticate here');
    t.match(await review(forVault, ['vault']), {
      authenticated: true,
      user: { username: 'system:serviceaccount:default:robot' },
      audiences: ['vault'],
    });
    t.same(await review(forVault), { user: {}, error: `token audiences ["vault"] is invalid for the target audiences ["${ISSUER}"]` });

    await clock.advance(10 * 60_000 + 59_000);
    t.equal((await api('GET', '/api', { token })).status, 200, 'past exp but within the minute of leeway');
    await clock.advance(2_000);
    const expired = await kubectl(['auth', 'whoami'], { env: await asToken(token) });
    t.match(expired.stderr, 'Unauthorized', 'expired on the virtual clock');
    t.same(await review(token), { user: {}, error: 'service account token has expired' });

    const fresh = await ok(['create', 'token', 'robot']);
    t.equal((await api('GET', '/api', { token: fresh })).status, 200);
    await client.delete(SA, 'default', 'robot');
    t.same((await api('GET', '/api', { token: fresh })).body, unauthorizedStatus, 'refused once the account is deleted');
    t.same(await review(fresh), { user: {}, error: 'serviceaccounts "robot" not found' });
    await createAccount('robot');
    t.match(
      await review(fresh),
      { error: /^service account UID \(.+\) does not match claim \(.+\)$/ },
      'a new account of the same name is another account',
    );
  });

  await t.test('a pod-bound token carries the pod and node extras and dies with the pod', async (t) => {
    await client.create({
      ...POD,
      metadata: { name: 'worker', namespace: 'default' },
      spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'nginx' }] },
    });
    const pod = await waitFor('the pod scheduled', async () => {
      const current = await client.get<KubeObject & { spec: { nodeName?: string } }>(POD, 'default', 'worker');
      return current.spec.nodeName ? current : undefined;
    });
    const node = await client.get({ apiVersion: 'v1', kind: 'Node' }, undefined, pod.spec.nodeName!);
    const token = await ok(['create', 'token', 'robot', '--bound-object-kind', 'Pod', '--bound-object-name', 'worker']);
    const extra = (await whoami(await asToken(token))).extra ?? {};
    t.same(extra['authentication.kubernetes.io/pod-name'], ['worker']);
    t.same(extra['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);
    t.same(extra['authentication.kubernetes.io/node-name'], [pod.spec.nodeName]);
    t.same(extra['authentication.kubernetes.io/node-uid'], [node.metadata.uid]);
    t.match(extra['authentication.kubernetes.io/credential-id'], [/^JTI=/]);

    const wrongAccount = await kubectl(['create', 'token', 'default', '--bound-object-kind', 'Pod', '--bound-object-name', 'worker']);
    t.match(wrongAccount.stderr, 'cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.');

    await client.delete(POD, 'default', 'worker', { gracePeriodSeconds: 0 });
    await waitFor('the pod gone', async () => (await api('GET', '/api/v1/namespaces/default/pods/worker', admin)).status === 404);
    t.same(await review(token), { user: {}, error: 'service account token has been invalidated' }, 'refused once the pod is gone');
  });

  await t.test('the token controller fills a legacy token Secret, which authenticates until its account goes', async (t) => {
    const uid = await createAccount('legacy');
    await client.create({
      ...SECRET,
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 'legacy-token', namespace: 'default', annotations: { 'kubernetes.io/service-account.name': 'legacy' } },
    });
    const secret = await waitFor('the token written', async () => {
      const current = await client.get<KubeObject & { data?: Record<string, string> }>(SECRET, 'default', 'legacy-token');
      return current.data?.token ? current : undefined;
    });
    const decoded = (key: string) => Buffer.from(secret.data![key]!, 'base64').toString();
    t.equal(decoded('namespace'), 'default');
    t.equal(decoded('ca.crt'), ca);
    t.equal(secret.metadata.annotations?.['kubernetes.io/service-account.uid'], uid);
    t.equal((await whoami(await asToken(decoded('token')))).username, 'system:serviceaccount:default:legacy');
    await client.delete(SA, 'default', 'legacy');
    await waitFor(
      'the Secret deleted with its account',
      async () => (await api('GET', '/api/v1/namespaces/default/secrets/legacy-token', admin)).status === 404,
    );
    t.equal((await api('GET', '/api', { token: decoded('token') })).status, 401);
  });
});
