/**
 * No component can take the process down. Every kind the components watch (listed from the running emulator's
 * informers, so a new controller is covered without touching this test) is fed objects a client may store: minimal
 * ones, empty maps, huge counts and unknown enum strings in status. The clock runs, the objects are deleted, and
 * then nothing may have escaped (no uncaught exception, unhandled rejection or error thrown in a subscriber), the
 * API still answers kubectl, and the cluster and KubeVirt controllers still do their work.
 */
import t from 'tap';
import { config as rxjsConfig } from 'rxjs';
import type { KubeObject } from '../../src/api/types.js';
import type { KindRef } from '../../src/client/client.js';
import type { VirtualClock } from '../../src/runtime/clock.js';
import { withEmulator } from '../helpers/cluster.js';
import { virtualWaitFor } from '../helpers/virtual-wait.js';

const escaped: string[] = [];
const record = (what: string) => (err: unknown) =>
  escaped.push(`${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
process.on('uncaughtException', record('uncaught exception'));
process.on('unhandledRejection', record('unhandled rejection'));
// Set before the emulator starts, so the emulator keeps this hook instead of installing its logging one.
rxjsConfig.onUnhandledError = record('error thrown in a subscriber');

const HUGE = 2_147_483_647;
const oddStatus = {
  phase: 'NoSuchPhase',
  replicas: HUGE,
  readyReplicas: HUGE,
  availableReplicas: HUGE,
  observedGeneration: Number.MAX_SAFE_INTEGER,
  printableStatus: 'NoSuchStatus',
  conditions: [{ type: 'Ready', status: 'Sometimes', reason: 'NoSuchReason', message: '' }],
};

/** The odd but storable variants of one kind. */
function variants(ref: KindRef): KubeObject[] {
  const object = (name: string, rest: Partial<KubeObject> = {}): KubeObject => ({ ...ref, metadata: { name }, ...rest });
  return [
    object('odd-minimal'),
    object('odd-empty-maps', {
      metadata: { name: 'odd-empty-maps', labels: {}, annotations: {}, finalizers: [], ownerReferences: [] },
      spec: {},
      status: {},
    }),
    object('odd-status', { spec: {}, status: oddStatus }),
  ];
}

async function feed(client: import('../../src/client/client.js').Client, ref: KindRef): Promise<KubeObject[]> {
  const stored: KubeObject[] = [];
  for (const variant of variants(ref)) {
    for (const namespace of ['default', undefined]) {
      const obj = { ...variant, metadata: { ...variant.metadata, ...(namespace && { namespace }) } };
      const created = await client.create(obj).catch(() => undefined);
      if (!created) continue;
      stored.push(created);
      // A status write where the kind has the subresource: a client (a broken controller) may write odd status too.
      if (variant.status) await client.update({ ...created, status: variant.status }, { subresource: 'status' }).catch(() => undefined);
      break;
    }
  }
  return stored;
}

t.test('odd objects of every watched kind leave every component running', async (t) => {
  const { emulator, kubectl } = await withEmulator(t, { clock: 'virtual', workers: 1, installKubeVirt: true });
  const clock = emulator.clock as VirtualClock;
  const waitFor = virtualWaitFor(clock, 600);
  const { client } = emulator;

  const kinds = emulator.watchedKinds();
  const watched = (kind: string) => kinds.some((k) => k.kind === kind);
  t.ok(watched('VirtualMachine') && watched('ReplicaSet'), 'cluster and KubeVirt controllers watch');
  const stored: KubeObject[] = [];
  for (const ref of kinds) stored.push(...(await feed(client, ref)));
  t.ok(stored.length >= kinds.length, `${stored.length} odd objects of ${kinds.length} kinds stored`);

  // A ConfigMap whose ownerReferences is not a list, as the API stored it before metadata validation (issue 11).
  const malformed = await kubectl(['create', '--raw', '/api/v1/namespaces/default/configmaps', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'odd-owner-refs', ownerReferences: 'x' } }),
  });
  t.comment(`malformed ownerReferences: kubectl exit ${malformed.code} ${malformed.stderr.trim()}`);

  await clock.advance(60_000);
  for (const obj of stored) {
    await client.delete(obj, obj.metadata.namespace, obj.metadata.name ?? '').catch(() => undefined);
  }
  await client.delete({ apiVersion: 'v1', kind: 'ConfigMap' }, 'default', 'odd-owner-refs').catch(() => undefined);
  await clock.advance(60_000);
  t.same(escaped, [], 'nothing escaped a component');

  const namespaces = await kubectl(['get', 'namespaces', '-o', 'name']);
  t.equal(namespaces.code, 0, namespaces.stderr);
  t.match(namespaces.stdout, /^namespace\/kubevirt$/m, 'the API still answers');

  // The controllers still work: a Deployment gets its pod running, a VM its VMI running.
  await client.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'after', namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'after' } },
      template: { metadata: { labels: { app: 'after' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
    },
  });
  await client.create({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'after', namespace: 'default' },
    spec: {
      runStrategy: 'Always',
      template: {
        spec: {
          domain: {
            devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }] },
            resources: { requests: { memory: '128Mi' } },
          },
          volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo:v1.9.0' } }],
        },
      },
    },
  });
  await waitFor('the Deployment available', async () => {
    const deployment = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'default', 'after');
    return (deployment.status as { availableReplicas?: number } | undefined)?.availableReplicas === 1;
  });
  await waitFor('the VM running', async () => {
    const vm = await client.get({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' }, 'default', 'after');
    return (vm.status as { printableStatus?: string } | undefined)?.printableStatus === 'Running';
  });
  t.same(escaped, [], 'still nothing escaped');
});
