/**
 * The simulated CDI (`installCdi`), driven with the real kubectl as a user of a kind cluster with CDI
 * does. What is asserted comes from CDI v1.64.0's source: phases, events and conditions from
 * pkg/controller/datavolume (controller-base.go updateStatus, import-controller.go updateStatusPhase,
 * clone-controller-base.go, conditions.go), claim annotations from pkg/controller/common/util.go, the
 * importer's running condition from pkg/controller/util.go (PodRunningReason, ImportCompleteMessage).
 */
import t from 'tap';
import { stringify } from 'yaml';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

let fixture: EmulatorFixture;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 1, installCdi: true });
});

async function kubectl(args: string[], input?: string): Promise<string> {
  const result = await fixture.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const apply = (objects: object[]) => kubectl(['apply', '-f', '-'], objects.map((o) => stringify(o)).join('---\n'));
const json = async <T>(args: string[]): Promise<T> => JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
const wait = (args: string[]) => kubectl(['wait', ...args, '--timeout=30s']);

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
}
interface DataVolume {
  status?: { phase?: string; progress?: string; claimName?: string; conditions?: Condition[] };
}

const dataVolume = (name: string, source: object, storage: object = { resources: { requests: { storage: '1Gi' } } }) => ({
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataVolume',
  metadata: { name, namespace: 'default' },
  spec: { source, storage },
});

const conditionsOf = (dv: DataVolume) =>
  Object.fromEntries((dv.status?.conditions ?? []).map((c) => [c.type, { status: c.status, reason: c.reason, message: c.message }]));

/** The DataVolume's events in the order they were recorded (resourceVersion: creationTimestamp has whole seconds). */
async function eventsOf(name: string): Promise<string[]> {
  const list = await json<{ items: Array<{ type: string; reason: string; message: string; metadata: { resourceVersion: string } }> }>([
    'get',
    'events',
    '--field-selector',
    `involvedObject.kind=DataVolume,involvedObject.name=${name}`,
  ]);
  return list.items
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => `${e.type} ${e.reason} ${e.message}`);
}

/** A pod mounting the claim: the first consumer a late-binding claim waits for (virt-launcher, for a VM's disk). */
const consumer = (name: string, claimName: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: {
    containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'disk', mountPath: '/disk' }] }],
    volumes: [{ name: 'disk', persistentVolumeClaim: { claimName } }],
  },
});

t.test('CDI is Deployed and every StorageClass has its StorageProfile', async (t) => {
  await wait(['cdi', 'cdi', '--for', 'condition=Available']);
  const cdi = await json<{ status: { phase: string; observedVersion: string } }>(['get', 'cdi', 'cdi']);
  t.equal(cdi.status.phase, 'Deployed');
  await wait(['storageprofile', 'standard', '--for', 'jsonpath={.status.provisioner}=rancher.io/local-path']);
  const profile = await json<{ status: Record<string, unknown> }>(['get', 'storageprofile', 'standard']);
  // storagecapabilities: rancher.io/local-path is ReadWriteOnce / Filesystem.
  t.same(profile.status.claimPropertySets, [{ accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' }]);
  t.equal(profile.status.storageClass, 'standard');
  const config = await json<{ status: { filesystemOverhead: { global: string } } }>(['get', 'cdiconfig', 'config']);
  t.equal(config.status.filesystemOverhead.global, '0.06');
});

t.test('an import into the late-binding default class waits for its first consumer, then imports', async (t) => {
  await apply([dataVolume('fedora', { http: { url: 'https://example.invalid/fedora.qcow2' } })]);
  await wait(['dv', 'fedora', '--for', 'jsonpath={.status.phase}=WaitForFirstConsumer']);
  const waiting = await json<DataVolume>(['get', 'dv', 'fedora']);
  t.equal(waiting.status?.progress, 'N/A');
  t.same(conditionsOf(waiting), {
    Bound: { status: 'False', reason: 'Pending', message: 'PVC fedora Pending' },
    Ready: { status: 'False', reason: undefined, message: undefined },
    Running: { status: 'False', reason: undefined, message: undefined },
  });
  const pvc = await json<{
    metadata: { annotations: Record<string, string>; labels: Record<string, string>; ownerReferences: Array<{ kind: string }> };
    spec: Record<string, unknown>;
  }>(['get', 'pvc', 'fedora']);
  t.match(pvc.metadata.annotations, {
    'cdi.kubevirt.io/storage.import.source': 'http',
    'cdi.kubevirt.io/storage.import.endpoint': 'https://example.invalid/fedora.qcow2',
    'cdi.kubevirt.io/storage.contentType': 'kubevirt',
  });
  t.equal(pvc.metadata.labels.app, 'containerized-data-importer');
  t.equal(pvc.metadata.ownerReferences[0]?.kind, 'DataVolume');
  t.match(pvc.spec, { accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', storageClassName: 'standard' });

  // A consumer pod binds the claim (the scheduler picks its node); the import then runs.
  await apply([consumer('consumer', 'fedora')]);
  await wait(['dv', 'fedora', '--for', 'condition=Ready']);
  const done = await json<DataVolume>(['get', 'dv', 'fedora']);
  t.equal(done.status?.phase, 'Succeeded');
  t.equal(done.status?.progress, '100.0%');
  t.equal(done.status?.claimName, 'fedora');
  t.same(conditionsOf(done), {
    Bound: { status: 'True', reason: 'Bound', message: 'PVC fedora Bound' },
    Ready: { status: 'True', reason: undefined, message: undefined },
    Running: { status: 'False', reason: 'Completed', message: 'Import Complete' },
  });
  t.same(await eventsOf('fedora'), [
    'Normal Pending PVC fedora Pending',
    'Normal Bound PVC fedora Bound',
    'Normal ImportScheduled Import into fedora scheduled',
    'Normal ImportInProgress Import into fedora in progress',
    'Normal ImportSucceeded Successfully imported into PVC fedora',
  ]);
  const table = await kubectl(['get', 'dv', 'fedora']);
  t.match(table, /NAME\s+PHASE\s+PROGRESS\s+RESTARTS\s+AGE\nfedora\s+Succeeded\s+100\.0%\s+0?\s/);
});

t.test('a blank disk is imported; a clone of it copies it; a clone of a missing claim waits', async (t) => {
  await apply([dataVolume('blank', { blank: {} }), consumer('blank-user', 'blank')]);
  await wait(['dv', 'blank', '--for', 'jsonpath={.status.phase}=Succeeded']);
  const blankClaim = await json<{ metadata: { annotations: Record<string, string> } }>(['get', 'pvc', 'blank']);
  t.equal(blankClaim.metadata.annotations['cdi.kubevirt.io/storage.import.source'], 'none');

  await apply([dataVolume('copy', { pvc: { namespace: 'default', name: 'blank' } }), consumer('copy-user', 'copy')]);
  await wait(['dv', 'copy', '--for', 'jsonpath={.status.phase}=Succeeded']);
  t.same(
    (await eventsOf('copy')).filter((e) => e.includes('Clon')),
    [
      'Normal CloneScheduled Cloning from default/blank into default/copy scheduled',
      'Normal CloneInProgress Cloning from default/blank into default/copy in progress',
      'Normal CloneSucceeded Successfully cloned from default/blank into default/copy',
    ],
  );
  const copy = await json<DataVolume & { metadata: { annotations?: Record<string, string> } }>(['get', 'pvc', 'copy']);
  t.equal(copy.metadata.annotations?.['k8s.io/CloneRequest'], 'default/blank');
  t.equal(conditionsOf(await json<DataVolume>(['get', 'dv', 'copy'])).Running?.message, 'Clone Complete');

  await apply([dataVolume('orphan-copy', { pvc: { namespace: 'default', name: 'missing' } })]);
  await wait(['dv', 'orphan-copy', '--for', 'jsonpath={.status.phase}=Pending']);
  // The Bound condition's event (emitBoundConditionEvent), and the clone's warning, repeated while the source is missing.
  t.same((await eventsOf('orphan-copy')).sort(), [
    'Normal NotFound No PVC found',
    "Warning CloneWithoutSource The source pvc missing doesn't exist",
  ]);
});
