/**
 * Authentication as kube-apiserver 1.32 does it, through the real kubectl,
 * raw HTTPS and client-node: the admin kubeconfig's client certificate, no
 * credentials (system:anonymous), bad credentials (401), ServiceAccount
 * tokens from `kubectl create token` (expiry on the virtual clock, deletion
 * of the account or the bound pod, the node extras), legacy token Secrets,
 * TokenReview, issuer discovery, and a second data directory's key.
 */
import t from 'tap';
import { request } from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { parse } from 'yaml';
import { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
import { withEmulator } from '../../helpers/cluster.js';
import { runKubectl } from '../../helpers/kubectl.js';
import { virtualWaitFor } from '../../helpers/virtual-wait.js';
import { createCertificateAuthority, issueClientCertificate } from '../../../src/server/tls.js';
import type { VirtualClock } from '../../../src/runtime/clock.js';

interface Answer {
  status: number;
  body: unknown;
}

interface Credentials {
  token?: string;
  cert?: string;
  key?: string;
}

/** One HTTPS request trusting the emulator's CA, with the given credentials only. */
function call(url: string, ca: string, method: string, path: string, credentials: Credentials = {}, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      {
        method,
        ca,
        cert: credentials.cert,
        key: credentials.key,
        agent: false,
        headers: {
          accept: 'application/json',
          ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const unauthorizedStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

t.test('authentication', async (t) => {
  const { emulator, kubeconfigPath, kubectl } = await withEmulator(t, { clock: 'virtual' });
  const clock = emulator.clock as VirtualClock;
  const waitFor = virtualWaitFor(clock, 120);
  const kubeconfig = parse(await readFile(kubeconfigPath, 'utf8'));
  const ca = Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  const dir = t.testdir();
  const whoami = async (args: string[] = [], env: Record<string, string> = {}) => {
    const result = await kubectl(['auth', 'whoami', '-o', 'json', ...args], { env });
    t.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as { status: { userInfo: Record<string, unknown> } }).status.userInfo;
  };
  // A kubeconfig of the same cluster with only a token: with the admin certificate beside it, the certificate would win (x509 comes first).
  let tokenFiles = 0;
  const asToken = async (token: string): Promise<Record<string, string>> => {
    const path = join(dir, `token-${++tokenFiles}`);
    await writeFile(path, JSON.stringify({ ...kubeconfig, users: [{ name: kubeconfig.users[0].name, user: { token } }] }));
    return { KUBECONFIG: path };
  };
  const ok = async (args: string[], input?: string) => {
    const result = await kubectl(args, { input });
    t.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.trim();
  };

  await t.test('the admin kubeconfig is a client certificate of kubernetes-admin in system:masters, made for this data dir', async (t) => {
    const user = kubeconfig.users[0].user;
    t.ok(user['client-certificate-data'] && user['client-key-data'], 'client-certificate-data and client-key-data, as kind writes');
    t.notOk(user.token, 'no constant token');
    const info = await whoami();
    t.equal(info.username, 'kubernetes-admin');
    t.same(info.groups, ['system:masters', 'system:authenticated']);
    t.match((info.extra as Record<string, string[]>)['authentication.kubernetes.io/credential-id'], [/^X509SHA256=[0-9a-f]{64}$/]);
    const raw = await call(emulator.url, ca, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { token: emulator.adminToken }, {});
    t.match(raw.body, { status: { userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] } } }, 'the admin token too');
  });

  await t.test('no credentials is system:anonymous; a wrong token or a foreign client certificate is 401', async (t) => {
    const anonymous = await call(emulator.url, ca, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {}, {});
    t.same(anonymous.body, {
      kind: 'SelfSubjectReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      status: { userInfo: { username: 'system:anonymous', groups: ['system:unauthenticated'] } },
    });
    // kubectl over HTTPS without credentials prompts for a username; basic auth, which kube no longer reads, stays anonymous.
    const basic = join(dir, 'basic');
    const server = kubeconfig.clusters[0].cluster;
    const basicConfig = { ...kubeconfig, users: [{ name: kubeconfig.users[0].name, user: { username: 'admin', password: 'admin' } }], clusters: [{ ...kubeconfig.clusters[0], cluster: server }] };
    await writeFile(basic, JSON.stringify(basicConfig));
    const anonymousInfo = await whoami([], { KUBECONFIG: basic });
    t.same(anonymousInfo, { username: 'system:anonymous', groups: ['system:unauthenticated'] });

    for (const path of ['/api/v1/namespaces', '/healthz']) {
      const wrong = await call(emulator.url, ca, 'GET', path, { token: 'not-a-token' });
      t.equal(wrong.status, 401);
      t.same(wrong.body, unauthorizedStatus, `${path}: kube's Status body`);
    }
    const denied = await kubectl(['get', 'ns'], { env: await asToken('not-a-token') });
    t.equal(denied.code, 1);
    t.match(denied.stderr, 'error: You must be logged in to the server (the server has asked for the client to provide credentials)');

    const otherCa = await createCertificateAuthority({ commonName: 'another-ca', validityDays: 1 });
    const foreign = await issueClientCertificate(otherCa, 'mallory', ['system:masters']);
    const refused = await call(emulator.url, ca, 'GET', '/api/v1/namespaces', { cert: foreign.certPem, key: foreign.keyPem });
    t.same(refused.body, unauthorizedStatus, 'a certificate the cluster CA did not sign');
  });

  await t.test('kubectl create token: a JWT of the ServiceAccount, refused once expired or once the account is gone', async (t) => {
    await ok(['create', 'serviceaccount', 'robot']);
    const uid = await ok(['get', 'sa', 'robot', '-o', 'jsonpath={.metadata.uid}']);
    const token = await ok(['create', 'token', 'robot', '--duration', '10m']);
    const info = await whoami([], await asToken(token));
    t.same(info.username, 'system:serviceaccount:default:robot');
    t.equal(info.uid, uid);
    t.same(info.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    t.match((info.extra as Record<string, string[]>)['authentication.kubernetes.io/credential-id'], [/^JTI=[0-9a-f-]{36}$/]);

    // The key set the apiserver publishes verifies the token, with kube's claims.
    const jwks = await call(emulator.url, ca, 'GET', '/openid/v1/jwks', { token: emulator.adminToken });
    const discovery = await call(emulator.url, ca, 'GET', '/.well-known/openid-configuration', { token: emulator.adminToken });
    t.match(discovery.body, { issuer: 'https://kubernetes.default.svc.cluster.local', jwks_uri: `${emulator.url}/openid/v1/jwks` });
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.body as never), {
      issuer: 'https://kubernetes.default.svc.cluster.local',
      currentDate: clock.now(),
    });
    t.match(payload, { aud: ['https://kubernetes.default.svc.cluster.local'], sub: 'system:serviceaccount:default:robot', 'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'robot', uid } } });
    t.equal((payload.exp ?? 0) - (payload.iat ?? 0), 600);
    t.equal(payload.nbf, payload.iat);

    const tooShort = await kubectl(['create', 'token', 'robot', '--duration', '5m']);
    t.match(tooShort.stderr, 'spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes');

    const otherAudience = await ok(['create', 'token', 'robot', '--audience', 'vault']);
    t.equal((await call(emulator.url, ca, 'GET', '/api', { token: otherAudience })).status, 401, 'a token for another audience');
    const review = await call(emulator.url, ca, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { token: emulator.adminToken }, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token: otherAudience, audiences: ['vault'] },
    });
    t.match(review.body, { status: { authenticated: true, user: { username: 'system:serviceaccount:default:robot' }, audiences: ['vault'] } });

    // kube allows a minute of leeway past exp.
    await clock.advance(10 * 60_000 + 59_000);
    t.equal((await call(emulator.url, ca, 'GET', '/api', { token })).status, 200, 'within the leeway');
    await clock.advance(2_000);
    const expired = await kubectl(['auth', 'whoami'], { env: await asToken(token) });
    t.match(expired.stderr, 'Unauthorized', 'expired on the virtual clock');
    const expiredReview = await call(emulator.url, ca, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { token: emulator.adminToken }, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token },
    });
    t.same((expiredReview.body as { status: unknown }).status, { user: {}, error: 'service account token has expired' });

    const fresh = await ok(['create', 'token', 'robot']);
    t.equal((await whoami([], await asToken(fresh))).username, 'system:serviceaccount:default:robot');
    await ok(['delete', 'sa', 'robot']);
    const gone = await call(emulator.url, ca, 'GET', '/api', { token: fresh });
    t.same(gone.body, unauthorizedStatus, 'refused once the ServiceAccount is deleted');
    await ok(['create', 'serviceaccount', 'robot']);
    t.equal((await call(emulator.url, ca, 'GET', '/api', { token: fresh })).status, 401, 'a new account of the same name has another uid');
  });

  await t.test('a pod-bound token carries the pod and node extras and dies with the pod', async (t) => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'worker' }, spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'nginx' }] } };
    await ok(['create', '-f', '-'], JSON.stringify(pod));
    const nodeName = await waitFor('the pod scheduled', async () => (await ok(['get', 'pod', 'worker', '-o', 'jsonpath={.spec.nodeName}'])) || undefined);
    const [podUid, nodeUid] = [await ok(['get', 'pod', 'worker', '-o', 'jsonpath={.metadata.uid}']), await ok(['get', 'node', nodeName, '-o', 'jsonpath={.metadata.uid}'])];
    const token = await ok(['create', 'token', 'robot', '--bound-object-kind', 'Pod', '--bound-object-name', 'worker']);
    const extra = (await whoami([], await asToken(token))).extra as Record<string, string[]>;
    t.same(extra['authentication.kubernetes.io/pod-name'], ['worker']);
    t.same(extra['authentication.kubernetes.io/pod-uid'], [podUid]);
    t.same(extra['authentication.kubernetes.io/node-name'], [nodeName]);
    t.same(extra['authentication.kubernetes.io/node-uid'], [nodeUid]);
    t.match(extra['authentication.kubernetes.io/credential-id'], [/^JTI=/]);

    const wrongAccount = await kubectl(['create', 'token', 'default', '--bound-object-kind', 'Pod', '--bound-object-name', 'worker']);
    t.match(wrongAccount.stderr, 'cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.');

    await ok(['delete', 'pod', 'worker', '--wait=false']);
    await waitFor('the pod gone', async () => (await kubectl(['get', 'pod', 'worker'])).code !== 0);
    t.equal((await call(emulator.url, ca, 'GET', '/api', { token })).status, 401, 'refused once the pod is gone');
  });

  await t.test('the token controller fills a legacy token Secret, which authenticates until its account goes', async (t) => {
    await ok(['create', 'serviceaccount', 'legacy']);
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 'legacy-token', annotations: { 'kubernetes.io/service-account.name': 'legacy' } },
    };
    await ok(['create', '-f', '-'], JSON.stringify(secret));
    const encoded = await waitFor('the token written', async () => (await ok(['get', 'secret', 'legacy-token', '-o', 'jsonpath={.data.token}'])) || undefined);
    const data = JSON.parse(await ok(['get', 'secret', 'legacy-token', '-o', 'jsonpath={.data}'])) as Record<string, string>;
    t.equal(Buffer.from(data.namespace!, 'base64').toString(), 'default');
    t.equal(Buffer.from(data['ca.crt']!, 'base64').toString(), ca);
    t.equal(await ok(['get', 'secret', 'legacy-token', '-o', "jsonpath={.metadata.annotations['kubernetes\\.io/service-account\\.uid']}"]), await ok(['get', 'sa', 'legacy', '-o', 'jsonpath={.metadata.uid}']));
    const token = Buffer.from(encoded, 'base64').toString();
    t.equal((await whoami([], await asToken(token))).username, 'system:serviceaccount:default:legacy');
    await ok(['delete', 'sa', 'legacy']);
    await waitFor('the Secret deleted with its account', async () => (await kubectl(['get', 'secret', 'legacy-token'])).code !== 0);
    t.equal((await call(emulator.url, ca, 'GET', '/api', { token })).status, 401);
  });

  await t.test('client-node authenticates with the admin kubeconfig', async (t) => {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfigPath);
    const review = await config.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    t.equal(review.status?.userInfo?.username, 'kubernetes-admin');
  });

  await t.test('an emulator on another data directory rejects this one’s tokens', async (t) => {
    const token = await ok(['create', 'token', 'robot', '--duration', '1h']);
    const otherData = await mkdtemp(join(tmpdir(), 'kubevirt-emulator-other-data-'));
    t.teardown(() => rm(otherData, { recursive: true, force: true }));
    const other = await withEmulator(t, { dataDir: otherData });
    await other.kubectl(['create', 'serviceaccount', 'robot']);
    const otherConfig = parse(await readFile(other.kubeconfigPath, 'utf8'));
    const withToken = join(dir, 'other-token');
    await writeFile(withToken, JSON.stringify({ ...otherConfig, users: [{ name: otherConfig.users[0].name, user: { token } }] }));
    const result = await runKubectl(['auth', 'whoami'], { kubeconfig: withToken, cacheDir: join(dir, 'other-cache') });
    t.equal(result.code, 1);
    t.match(result.stderr, 'Unauthorized');
    t.not(otherConfig.clusters[0].cluster['certificate-authority-data'], kubeconfig.clusters[0].cluster['certificate-authority-data'], 'another cluster CA');
    const withFirstAdmin = { ...otherConfig, users: [{ name: otherConfig.users[0].name, user: kubeconfig.users[0].user }] };
    const crossed = join(dir, 'crossed');
    await writeFile(crossed, JSON.stringify(withFirstAdmin));
    const crossedResult = await runKubectl(['get', 'ns'], { kubeconfig: crossed, cacheDir: join(dir, 'crossed-cache') });
    t.match(crossedResult.stderr, 'You must be logged in to the server', "the first emulator's admin certificate is not valid here");
  });
});

t.test('--insecure-http listens on loopback only', async (t) => {
  const { startEmulator } = await import('../../../src/emulator.js');
  await t.rejects(startEmulator({ port: 0, insecureHttp: true, host: '0.0.0.0', kubeconfigPath: join(t.testdir(), 'kubeconfig') }), {
    message: /--insecure-http listens only on a loopback address \(127\.0\.0\.1, ::1 or localhost\), not "0\.0\.0\.0"/,
  });
  const { emulator } = await withEmulator(t, { insecureHttp: true });
  const unsecured = await fetch(`${emulator.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.match(await unsecured.json(), { status: { userInfo: { username: 'system:unsecured', groups: ['system:masters', 'system:authenticated'] } } });
  const wrong = await fetch(`${emulator.url}/api`, { headers: { authorization: 'Bearer wrong' } });
  t.equal(wrong.status, 401, 'a bearer token is still checked');
});
