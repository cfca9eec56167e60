import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { buildKubeconfig, defaultKubeconfigPath, mergeIntoKubeconfig, writeKubeconfig } from '../../../src/server/kubeconfig.js';
import { createCertificateAuthority, loadOrCreateCertificates } from '../../../src/pki/certificates.js';
import { runKubectl } from '../../helpers/kubectl.js';

const caPem = (await createCertificateAuthority({ commonName: 'kubeconfig-test-ca', validityDays: 1 })).certPem;

t.test('https kubeconfig carries the CA and a token', async (t) => {
  const config = parse(buildKubeconfig({ server: 'https://127.0.0.1:6443', caPem, token: 'secret' }));
  t.same(config, {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'kubevirt-emulator',
        cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: 'kubevirt-emulator', user: { token: 'secret' } }],
    contexts: [{ name: 'kubevirt-emulator', context: { cluster: 'kubevirt-emulator', user: 'kubevirt-emulator' } }],
    'current-context': 'kubevirt-emulator',
    preferences: {},
  });
  const decoded = Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  t.equal(new X509Certificate(decoded).subject, 'CN=kubeconfig-test-ca', 'the CA decodes back to a certificate');
});

t.test('http and insecure kubeconfigs skip verification and carry no CA', async (t) => {
  for (const options of [
    { server: 'http://127.0.0.1:8080', token: 'x' },
    { server: 'http://127.0.0.1:8080', caPem, token: 'x' },
    { server: 'https://127.0.0.1:6443', caPem, token: 'x', insecure: true },
  ]) {
    const cluster = parse(buildKubeconfig(options)).clusters[0].cluster;
    t.same(cluster, { server: options.server, 'insecure-skip-tls-verify': true }, options.server);
  }
});

t.test('contextName names cluster, user and context', async (t) => {
  const config = parse(buildKubeconfig({ server: 'https://localhost:1', token: 't', contextName: 'second' }));
  t.equal(config.clusters[0].name, 'second');
  t.equal(config.users[0].name, 'second');
  t.same(config.contexts[0], { name: 'second', context: { cluster: 'second', user: 'second' } });
  t.equal(config['current-context'], 'second');
});

t.test('writeKubeconfig writes a private file kubectl reads', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'nested', 'kubeconfig');
  t.equal(await writeKubeconfig(path, { server: 'https://127.0.0.1:6443', caPem, token: 'secret' }), path);
  t.equal((await stat(path)).mode & 0o777, 0o600);
  const view = await runKubectl(['config', 'view', '-o', 'json'], { kubeconfig: path, cacheDir: join(dir, 'cache') });
  t.equal(view.code, 0, view.stderr);
  const seen = JSON.parse(view.stdout);
  t.equal(seen['current-context'], 'kubevirt-emulator');
  t.equal(seen.clusters[0].cluster.server, 'https://127.0.0.1:6443');
  t.equal(seen.clusters[0].cluster['certificate-authority-data'], 'DATA+OMITTED', 'kubectl recognised the CA data');
  t.equal(seen.users[0].user.token, 'REDACTED', 'kubectl recognised the token');
});

const existingConfig = `apiVersion: v1
kind: Config
clusters:
- name: kind-kind
  cluster:
    server: https://127.0.0.1:40000
    certificate-authority-data: AAAA
- name: kubevirt-emulator
  cluster:
    server: https://127.0.0.1:1
contexts:
- name: kind-kind
  context:
    cluster: kind-kind
    user: kind-kind
    namespace: work
users:
- name: kind-kind
  user:
    client-certificate-data: BBBB
current-context: kind-kind
preferences:
  colors: true
extensions: []
`;

t.test('mergeIntoKubeconfig keeps other entries and switches the current context', async (t) => {
  const dir = t.testdir({ config: existingConfig });
  const path = join(dir, 'config');
  t.equal(await mergeIntoKubeconfig(path, { server: 'https://127.0.0.1:6443', caPem, token: 'secret' }), path);
  const merged = parse(await readFile(path, 'utf8'));
  const before = parse(existingConfig);
  t.equal(merged['current-context'], 'kubevirt-emulator');
  t.same(merged.preferences, { colors: true });
  t.same(merged.extensions, []);
  t.same(
    merged.clusters.map((c: { name: string }) => c.name),
    ['kind-kind', 'kubevirt-emulator'],
    'replaced in place, not duplicated',
  );
  t.same(merged.clusters[0], before.clusters[0]);
  t.equal(merged.clusters[1].cluster.server, 'https://127.0.0.1:6443');
  t.same(merged.contexts, [
    before.contexts[0],
    { name: 'kubevirt-emulator', context: { cluster: 'kubevirt-emulator', user: 'kubevirt-emulator' } },
  ]);
  t.same(merged.users, [before.users[0], { name: 'kubevirt-emulator', user: { token: 'secret' } }]);

  const contexts = await runKubectl(['config', 'get-contexts', '-o', 'name'], { kubeconfig: path, cacheDir: join(dir, 'cache') });
  t.same(contexts.stdout.trim().split('\n').sort(), ['kind-kind', 'kubevirt-emulator']);
});

t.test('mergeIntoKubeconfig creates a missing or empty file', async (t) => {
  const dir = t.testdir({ empty: '' });
  const fresh = join(dir, '.kube', 'config');
  await mergeIntoKubeconfig(fresh, { server: 'https://127.0.0.1:6443', caPem, token: 'secret' });
  t.same(parse(await readFile(fresh, 'utf8')), parse(buildKubeconfig({ server: 'https://127.0.0.1:6443', caPem, token: 'secret' })));
  await mergeIntoKubeconfig(join(dir, 'empty'), { server: 'http://127.0.0.1:8080', token: 'x' });
  t.equal(parse(await readFile(join(dir, 'empty'), 'utf8'))['current-context'], 'kubevirt-emulator');
});

t.test('mergeIntoKubeconfig refuses a file that is not a kubeconfig', async (t) => {
  const dir = t.testdir({ list: '- a\n- b\n', badClusters: 'clusters: nope\n' });
  await t.rejects(mergeIntoKubeconfig(join(dir, 'list'), { server: 'https://h:1', token: 'x' }), /expected a YAML mapping/);
  await t.rejects(mergeIntoKubeconfig(join(dir, 'badClusters'), { server: 'https://h:1', token: 'x' }), /"clusters" is not a list/);
  t.equal(await readFile(join(dir, 'list'), 'utf8'), '- a\n- b\n', 'left untouched');
});

t.test('defaultKubeconfigPath follows KUBECONFIG as kubectl does', async (t) => {
  const dir = t.testdir({ second: 'x' });
  const [first, second, third] = ['first', 'second', 'third'].map((name) => join(dir, name));
  t.equal(defaultKubeconfigPath({ KUBECONFIG: [first, second, third].join(delimiter) }), second, 'first existing file');
  t.equal(defaultKubeconfigPath({ KUBECONFIG: [first, third].join(delimiter) }), third, 'last entry when none exists');
  t.equal(defaultKubeconfigPath({ KUBECONFIG: first }), first);
  t.equal(defaultKubeconfigPath({ HOME: '/home/someone', KUBECONFIG: '' }).endsWith(join('.kube', 'config')), true);
  await writeFile(first, '');
  t.equal(defaultKubeconfigPath({ KUBECONFIG: [first, second].join(delimiter) }), first);
});

t.test('kubectl trusts the emulator CA and sends the token', async (t) => {
  const dir = t.testdir();
  const { caPem: servingCa, certPem, keyPem } = await loadOrCreateCertificates(join(dir, 'data'), ['127.0.0.1']);
  const authorizations: Array<string | undefined> = [];
  const server = createServer({ cert: certPem, key: keyPem }, (request, response) => {
    authorizations.push(request.headers.authorization);
    response.setHeader('Content-Type', 'application/json');
    response.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.3', platform: 'linux/amd64' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;

  for (const host of ['127.0.0.1', 'localhost']) {
    const kubeconfig = await writeKubeconfig(join(dir, `kubeconfig-${host}`), {
      server: `https://${host}:${port}`,
      caPem: servingCa,
      token: 'secret',
    });
    const version = await runKubectl(['version', '-o', 'json'], { kubeconfig, cacheDir: join(dir, 'cache') });
    t.equal(version.code, 0, version.stderr);
    t.equal(JSON.parse(version.stdout).serverVersion.gitVersion, 'v1.32.3', `verified ${host}`);
  }
  t.ok(authorizations.length > 0 && authorizations.every((value) => value === 'Bearer secret'), 'every request carried the token');

  const untrusted = await writeKubeconfig(join(dir, 'kubeconfig-other-ca'), {
    server: `https://127.0.0.1:${port}`,
    caPem,
    token: 'secret',
  });
  const rejected = await runKubectl(['version', '-o', 'json'], { kubeconfig: untrusted, cacheDir: join(dir, 'cache') });
  t.not(rejected.code, 0);
  t.match(rejected.stderr, /certificate signed by unknown authority/);
});
