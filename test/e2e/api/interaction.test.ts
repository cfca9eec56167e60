// Acceptance 7: tables on watch, auth can-i, describe with Events, delete waiting for the object to go.
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

/** One emulator for the file: each test reads or writes objects of its own (a ConfigMap, a namespace). */
let shared: EmulatorFixture;
t.before(async () => {
  shared = await withEmulator(t);
});

t.test('auth can-i answers', async (t) => {
  const { kubectl } = shared;
  const yes = await kubectl(['auth', 'can-i', 'create', 'pods']);
  t.equal(yes.code, 0, yes.stderr);
  t.equal(yes.stdout.trim(), 'yes');
  const list = await kubectl(['auth', 'can-i', '--list']);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, /\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
});

t.test('describe shows the Events of an object, found by field selector', async (t) => {
  const { kubectl } = shared;
  t.equal((await kubectl(['create', 'configmap', 'described', '--from-literal=a=b'])).code, 0);
  const uid = (await kubectl(['get', 'cm', 'described', '-o', 'jsonpath={.metadata.uid}'])).stdout;
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'described.1', namespace: 'default' },
    involvedObject: { kind: 'ConfigMap', name: 'described', namespace: 'default', uid, apiVersion: 'v1' },
    reason: 'Checked',
    message: 'looked at by a test',
    type: 'Normal',
    count: 2,
    firstTimestamp: new Date().toISOString().replace(/\.\d+Z/, 'Z'),
    lastTimestamp: new Date().toISOString().replace(/\.\d+Z/, 'Z'),
    source: { component: 'test' },
  };
  t.equal((await kubectl(['create', '-f', '-'], { input: JSON.stringify(event) })).code, 0);
  const described = await kubectl(['describe', 'cm', 'described']);
  t.equal(described.code, 0, described.stderr);
  t.match(described.stdout, /Events:\s*\n\s+Type\s+Reason\s+Age\s+From\s+Message/);
  t.match(described.stdout, /Normal\s+Checked\s+.*test\s+looked at by a test/);
});

t.test('delete waits until the object is gone', async (t) => {
  const { kubectl } = shared;
  t.equal((await kubectl(['create', 'namespace', 'doomed'])).code, 0);
  t.equal((await kubectl(['-n', 'doomed', 'create', 'configmap', 'inside'])).code, 0);
  const deleted = await kubectl(['delete', 'namespace', 'doomed', '--timeout=30s']);
  t.equal(deleted.code, 0, deleted.stderr);
  t.match(deleted.stdout, 'namespace "doomed" deleted');
  const after = await kubectl(['get', 'namespace', 'doomed']);
  t.match(after.stderr, 'namespaces "doomed" not found');
});
