/**
 * `kubevirt-emulator kubeconfig`: kubeconfigs for a user (a client
 * certificate signed by the cluster CA) or a ServiceAccount (a TokenRequest
 * token) of a running emulator, used by the real kubectl. The command runs
 * once as a child process; the other cases call its function in-process.
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { mintKubeconfig } from '../../../src/cli/kubeconfig.js';
import { withEmulator } from '../../helpers/cluster.js';
import { runCli } from '../../helpers/cli-process.js';
import { runKubectl } from '../../helpers/kubectl.js';

t.test('kubeconfig --user and --service-account act as that identity', async (t) => {
  const dir = t.testdir();
  const dataDir = await mkdtemp(join(tmpdir(), 'kubevirt-emulator-mint-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const { kubeconfigPath: kubeconfig } = await withEmulator(t, { dataDir });
  const whoami = async (path: string) => {
    const result = await runKubectl(['auth', 'whoami', '-o', 'json'], { kubeconfig: path, cacheDir: join(dir, 'cache') });
    t.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout).status.userInfo as { username: string; groups: string[] };
  };

  const alice = join(dir, 'alice');
  const minted = await runCli([
    'kubeconfig',
    '--user',
    'alice',
    '--group',
    'devs',
    '--expiration',
    '24h',
    '--kubeconfig',
    kubeconfig,
    '--data-dir',
    dataDir,
    '--output',
    alice,
  ]);
  t.equal(minted.code, 0, minted.stderr);
  t.equal((await stat(alice)).mode & 0o777, 0o600, 'written owner-only');
  const info = await whoami(alice);
  t.equal(info.username, 'alice');
  t.same(info.groups, ['devs', 'system:authenticated']);
  const certificate = new X509Certificate(
    Buffer.from(parse(await readFile(alice, 'utf8')).users[0].user['client-certificate-data'], 'base64'),
  );
  const lifetimeHours = (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 3_600_000;
  t.ok(lifetimeHours > 23.9 && lifetimeHours < 24.1, `--expiration 24h (${lifetimeHours} h)`);

  const flags = { group: [], audience: [], kubeconfig, dataDir };
  const robot = join(dir, 'robot');
  await writeFile(robot, await mintKubeconfig({ ...flags, serviceAccount: { namespace: 'default', name: 'default' } }));
  t.equal((await whoami(robot)).username, 'system:serviceaccount:default:default');

  const elsewhere = join(dir, 'elsewhere');
  await t.rejects(mintKubeconfig({ ...flags, user: 'bob', dataDir: elsewhere }), {
    message: `no cluster CA in ${elsewhere}: pass the --data-dir the emulator runs with`,
  });
  await t.rejects(mintKubeconfig({ ...flags, serviceAccount: { namespace: 'default', name: 'nobody' } }), {
    message: 'serviceaccounts "nobody" not found',
  });
  await t.rejects(mintKubeconfig(flags), { message: 'give exactly one of --user or --service-account' });
});

t.test('serve --insecure-http refuses a non-loopback host', async (t) => {
  const dir = t.testdir();
  const result = await runCli([
    'serve',
    '--insecure-http',
    '--host',
    '0.0.0.0',
    '--port',
    '0',
    '--kubeconfig',
    join(dir, 'kubeconfig'),
    '--data-dir',
    join(dir, 'data'),
  ]);
  t.equal(result.code, 1);
  t.match(result.stderr, '--insecure-http listens only on a loopback address (127.0.0.1, ::1 or localhost), not "0.0.0.0"');
});
