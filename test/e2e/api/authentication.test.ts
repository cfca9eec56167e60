/**
 * Who a request is, as kube-apiserver 1.32 decides it, seen with the real
 * kubectl, raw HTTPS and client-node: the admin kubeconfig's client
 * certificate, no credentials (system:anonymous), bad credentials (401 with
 * kube's Status), WebSocket upgrades, another data directory's credentials,
 * and the plain-HTTP opt-out.
 */
import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
import { runKubectl } from '../../helpers/kubectl.js';
import { withEmulator } from '../../helpers/cluster.js';
import { createCertificateAuthority, issueClientCertificate } from '../../../src/pki/certificates.js';
import { startEmulator } from '../../../src/emulator.js';
import { authFixture, unauthorizedStatus } from './auth-fixture.js';

const SELF_SUBJECT_REVIEWS = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

t.test('authentication', async (t) => {
  const { emulator, kubeconfig, kubeconfigPath, kubectl, dir, asToken, whoami, ok, api } = await authFixture(t);

  await t.test('the admin kubeconfig is a client certificate of kubernetes-admin in system:masters', async (t) => {
    const user = kubeconfig.users[0].user;
    t.ok(user['client-certificate-data'] && user['client-key-data'], 'client-certificate-data and client-key-data, as kind writes');
    t.notOk(user.token, 'no constant token');
    const info = await whoami();
    t.equal(info.username, 'kubernetes-admin');
    t.same(info.groups, ['system:masters', 'system:authenticated']);
    t.match(info.extra?.['authentication.kubernetes.io/credential-id'], [/^X509SHA256=[0-9a-f]{64}$/]);
    const raw = await api('POST', SELF_SUBJECT_REVIEWS, { token: emulator.adminToken }, {});
    t.match(
      raw.body,
      { status: { userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] } } },
      'the admin token too',
    );
    const config = new KubeConfig();
    config.loadFromFile(kubeconfigPath);
    const review = await config
      .makeApiClient(AuthenticationV1Api)
      .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    t.equal(review.status?.userInfo?.username, 'kubernetes-admin', 'client-node with the kubeconfig');
  });

  await t.test('no credentials is system:anonymous; a wrong token or a foreign client certificate is 401', async (t) => {
    // Anonymous requests are authorized as system:anonymous: the bootstrap policy grants SelfSubjectReviews to
    // system:authenticated only (system:basic-user), so even `whoami` is refused, and the refusal names the user.
    const anonymous = await api('POST', SELF_SUBJECT_REVIEWS, {}, {});
    t.equal(anonymous.status, 403);
    t.match(anonymous.body, {
      kind: 'Status',
      reason: 'Forbidden',
      message:
        'selfsubjectreviews.authentication.k8s.io is forbidden: User "system:anonymous" cannot create resource ' +
        '"selfsubjectreviews" in API group "authentication.k8s.io" at the cluster scope',
    });
    // kubectl over HTTPS without credentials prompts for a username; basic auth, which kube no longer reads, stays anonymous.
    const basic = join(dir, 'basic');
    await writeFile(
      basic,
      JSON.stringify({ ...kubeconfig, users: [{ name: kubeconfig.users[0].name, user: { username: 'admin', password: 'admin' } }] }),
    );
    const basicWhoami = await kubectl(['auth', 'whoami'], { env: { KUBECONFIG: basic } });
    t.not(basicWhoami.code, 0);
    t.match(basicWhoami.stderr, 'the selfsubjectreviews API is not enabled in the cluster or you do not have permission to call it');
    const version = await kubectl(['get', '--raw', '/version'], { env: { KUBECONFIG: basic } });
    t.equal(version.code, 0, `system:public-info-viewer lets anonymous read /version: ${version.stderr}`);

    for (const path of ['/api/v1/namespaces', '/healthz']) {
      const wrong = await api('GET', path, { token: 'not-a-token' });
      t.equal(wrong.status, 401);
      t.same(wrong.body, unauthorizedStatus, `${path}: kube's Status body`);
    }
    const denied = await kubectl(['get', 'ns'], { env: await asToken('not-a-token') });
    t.equal(denied.code, 1);
    t.match(denied.stderr, 'error: You must be logged in to the server (the server has asked for the client to provide credentials)');

    // WebSocket upgrades (virt-api's console) bypass the routes but not authentication.
    const upgrade = {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
    };
    const consolePath = '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachineinstances/vm/console';
    t.same(
      (await api('GET', consolePath, { token: 'not-a-token' }, undefined, upgrade)).body,
      unauthorizedStatus,
      'an upgrade with a wrong token',
    );
    t.equal(
      (await api('GET', consolePath, {}, undefined, upgrade)).status,
      404,
      'an anonymous upgrade passes authentication (no KubeVirt here)',
    );

    const otherCa = await createCertificateAuthority({ commonName: 'another-ca', validityDays: 1 });
    const foreign = await issueClientCertificate(otherCa, 'mallory', ['system:masters']);
    const refused = await api('GET', '/api/v1/namespaces', { cert: foreign.certPem, key: foreign.keyPem });
    t.same(refused.body, unauthorizedStatus, 'a certificate the cluster CA did not sign');
  });

  await t.test("an emulator on another data directory accepts none of this one's credentials", async (t) => {
    await ok(['create', 'serviceaccount', 'robot']);
    const token = await ok(['create', 'token', 'robot']);
    const otherData = await mkdtemp(join(tmpdir(), 'kubevirt-emulator-other-data-'));
    t.teardown(() => rm(otherData, { recursive: true, force: true }));
    const other = await authFixture(t, { dataDir: otherData });
    await other.ok(['create', 'serviceaccount', 'robot']);
    const result = await other.kubectl(['auth', 'whoami'], { env: await other.asToken(token) });
    t.equal(result.code, 1);
    t.match(result.stderr, 'Unauthorized', 'a ServiceAccount token of the first');
    t.not(
      other.kubeconfig.clusters[0].cluster['certificate-authority-data'],
      kubeconfig.clusters[0].cluster['certificate-authority-data'],
      'another CA',
    );
    const crossed = join(dir, 'crossed');
    await writeFile(
      crossed,
      JSON.stringify({ ...other.kubeconfig, users: [{ name: other.kubeconfig.users[0].name, user: kubeconfig.users[0].user }] }),
    );
    const crossedResult = await runKubectl(['get', 'ns'], { kubeconfig: crossed, cacheDir: join(dir, 'crossed-cache') });
    t.match(crossedResult.stderr, 'You must be logged in to the server', "the first emulator's admin certificate");
    t.equal((await other.api('GET', '/api', { token: emulator.adminToken })).status, 401, "the first emulator's admin token");
  });
});

t.test('--insecure-http listens on loopback only', async (t) => {
  await t.rejects(startEmulator({ port: 0, insecureHttp: true, host: '0.0.0.0', kubeconfigPath: join(t.testdir(), 'kubeconfig') }), {
    message: /--insecure-http listens only on a loopback address \(127\.0\.0\.1, ::1 or localhost\), not "0\.0\.0\.0"/,
  });
  const { emulator } = await withEmulator(t, { insecureHttp: true });
  const unsecured = await fetch(`${emulator.url}${SELF_SUBJECT_REVIEWS}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  t.match(await unsecured.json(), {
    status: { userInfo: { username: 'system:unsecured', groups: ['system:masters', 'system:authenticated'] } },
  });
  const wrong = await fetch(`${emulator.url}/api`, { headers: { authorization: 'Bearer wrong' } });
  t.equal(wrong.status, 401, 'a bearer token is still checked');
});
