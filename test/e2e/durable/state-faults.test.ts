// Bad state files and a full disk, as a user meets them: `serve` refuses a file that is not its own with a clear
// message and exit 1 (leaving the file as it was), `reset` wipes the state, and a write the disk cannot hold answers
// kube-apiserver's 500 InternalError without leaving the object behind.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startServe } from '../../helpers/cli-process.js';
import { rawClient } from '../../helpers/raw-https.js';
import { runKubectl } from '../../helpers/kubectl.js';

const serveArgs = (dir: string) => ['--port', '0', '--workers', '0', '--data-dir', join(dir, 'data'), '--kubeconfig', join(dir, 'kc')];

t.test('a state file that is not a kubevirt-emulator state file: exit 1 with a message, the file untouched; reset', async (t) => {
  // Foreign SQLite files and the lock are covered against the backend itself (test/unit/storage/sqlite-backend.test.ts).
  const dir = t.testdir();
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'state.db'), 'not a database '.repeat(500));
  const corrupt = await runCli(['serve', ...serveArgs(dir)]);
  t.equal(corrupt.code, 1);
  t.match(
    corrupt.stderr,
    /state\.db is not a usable state file \(file is not a database\); left untouched: move it away or run `kubevirt-emulator reset`/,
  );
  t.equal(readFileSync(join(dir, 'data', 'state.db'), 'utf8'), 'not a database '.repeat(500));

  const reset = await runCli(['reset', '--data-dir', join(dir, 'data')]);
  t.equal(reset.code, 0, reset.stderr);
  t.match(reset.stdout, /^deleted .*state\.db$/m);
  t.notOk(existsSync(join(dir, 'data', 'state.db')));
});

t.test('a write the disk cannot hold: 500 InternalError, nothing half-written, the server serves on', async (t) => {
  const dir = t.testdir();
  // RLIMIT_FSIZE: no file of the process may grow past 6 MB, as on a full disk (SQLite sees EFBIG). Start-up fits:
  // its WAL is checkpointed at 4 MB; the big writes then fill the database file, and the WAL after it.
  // (`env -u NODE_OPTIONS`: tap's process-info hook, which it adds to every child, would not let SIGXFSZ be ignored.)
  const limited = ['env', '-u', 'NODE_OPTIONS', 'prlimit', '--fsize=6000000'];
  const serve = await startServe(t, [...serveArgs(dir), '--log-level', 'fatal'], limited);
  const api = rawClient(serve.url, serve.kubeconfig);
  const second = await runCli(['serve', ...serveArgs(dir)]);
  t.equal(second.code, 1, 'one serve per data dir');
  t.match(second.stderr, /state\.db is in use by another kubevirt-emulator; stop it first, or give this one another --data-dir/);
  const path = '/api/v1/namespaces/default/configmaps';
  writeFileSync(join(dir, 'blob'), 'x'.repeat(900_000));
  const kubectl = (args: string[]) => runKubectl(args, { kubeconfig: serve.kubeconfig, cacheDir: join(dir, 'cache') });
  let failed: Awaited<ReturnType<typeof kubectl>> | undefined;
  let name = '';
  for (let i = 0; i < 20 && !failed; i++) {
    name = `big-${i}`;
    const answer = await kubectl(['create', 'configmap', name, `--from-file=${join(dir, 'blob')}`, '-v=6']);
    if (answer.code !== 0) failed = answer;
  }
  t.ok(failed, 'a create failed once the file could not grow');
  t.match(failed?.stderr, /POST https:\/\/\S+\/api\/v1\/namespaces\/default\/configmaps.* 500 Internal Server Error/);
  t.match(failed?.stderr, /error: failed to create configmap: Internal error occurred: disk I\/O error/);
  t.equal((await api.send('GET', `${path}/${name}`)).status, 404, 'the failed object is not served');
  const list = await api.send('GET', path);
  t.equal(list.status, 200, 'reads go on');
  t.notOk(
    (list.json.items as { metadata: { name: string } }[]).some((cm) => cm.metadata.name === name),
    'nor listed',
  );
  serve.child.kill('SIGKILL');
  await serve.exited;
});
