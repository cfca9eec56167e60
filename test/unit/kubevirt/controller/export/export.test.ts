import t from 'tap';
import type { KubeObject } from '../../../../../src/api/types.js';
import { cirrosVm, POD, VM, VMI } from '../harness.js';
import { boundClaim, condition, EXPORT, startSnapshotHarness, statusOf, waitForPhase } from '../snapshot/harness.js';

const h = await startSnapshotHarness();
t.teardown(() => h.stop());

const exportOf = (name: string, kind: string, source: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: EXPORT.apiVersion,
    kind: EXPORT.kind,
    metadata: { name, namespace: 'default' },
    spec: { source: { apiGroup: kind === 'PersistentVolumeClaim' ? '' : 'kubevirt.io', kind, name: source }, ...extra },
  }) as KubeObject;

const withClaim =
  (claim: string) =>
  (spec: Record<string, unknown>): void => {
    const template = spec.template as { spec: { volumes: unknown[]; domain: { devices: { disks: unknown[] } } } };
    template.spec.volumes.push({ name: 'data', persistentVolumeClaim: { claimName: claim } });
    template.spec.domain.devices.disks.push({ name: 'data', disk: { bus: 'virtio' } });
  };

t.test('a VM with only container disks is skipped', async (t) => {
  await h.client.create(cirrosVm('cirros', 'Halted'));
  await h.client.create(exportOf('cirros-export', 'VirtualMachine', 'cirros'));
  const status = await waitForPhase(h, EXPORT, 'cirros-export', 'Skipped');
  t.match(condition(status, 'Ready'), { status: 'False', reason: 'VMNoVolumes' });
  t.equal(status.tokenSecretRef, 'export-token-cirros-export');
  t.equal(status.virtualMachineName, 'cirros');
  t.ok(await h.tryGet({ apiVersion: 'v1', kind: 'Secret' }, 'default', 'export-token-cirros-export'), 'token secret created');
  t.notOk(await h.tryGet(POD, 'default', 'virt-export-cirros-export'), 'no exporter pod');
});

t.test('a stopped VM with a PVC is served by an exporter pod and service, with links', async (t) => {
  await boundClaim(h, 'db-data');
  await h.client.create(cirrosVm('db', 'Halted', withClaim('db-data')));
  const created = await h.client.create(exportOf('db-export', 'VirtualMachine', 'db', { ttlDuration: '1h' }));
  const status = await waitForPhase(h, EXPORT, 'db-export', 'Ready');
  t.match(condition(status, 'Ready'), { status: 'True', reason: 'PodReady' });
  t.equal(status.serviceName, 'virt-export-db-export');
  t.ok(await h.tryGet({ apiVersion: 'v1', kind: 'Service' }, 'default', 'virt-export-db-export'));
  const links = status.links as {
    internal: {
      cert: string;
      volumes: Array<{ name: string; formats: Array<{ format: string; url: string }> }>;
      manifests: Array<{ type: string; url: string }>;
    };
  };
  t.match(links.internal.cert, /BEGIN CERTIFICATE/);
  t.same(links.internal.volumes, [
    {
      name: 'db-data',
      formats: [
        { format: 'raw', url: 'https://virt-export-db-export.default.svc/volumes/db-data/disk.img' },
        { format: 'gzip', url: 'https://virt-export-db-export.default.svc/volumes/db-data/disk.img.gz' },
      ],
    },
  ]);
  t.same(links.internal.manifests, [
    { type: 'all', url: 'https://virt-export-db-export.default.svc/internal/manifests/all' },
    { type: 'auth-header-secret', url: 'https://virt-export-db-export.default.svc/internal/manifests/secret' },
  ]);
  t.equal(
    status.ttlExpirationTime,
    `${new Date(Date.parse(created.metadata.creationTimestamp ?? '') + 3_600_000).toISOString().slice(0, 19)}Z`,
  );
  const reasons = (await h.events('db-export')).map((e) => e.reason);
  for (const reason of ['SecretCreated', 'ServiceCreated', 'ExporterPodCreated']) t.ok(reasons.includes(reason), reason);

  await h.client.patch(VM, 'default', 'db', 'merge', { spec: { runStrategy: 'Always' } });
  const paused = await h.waitFor('export paused while the VM runs', async () => {
    const current = await statusOf(h, EXPORT, 'db-export');
    return condition(current, 'Ready')?.reason === 'InUse' ? current : undefined;
  });
  t.equal(paused.phase, 'Pending');
  t.equal(paused.links, undefined);
  t.match(condition(paused, 'Ready'), { status: 'False', reason: 'InUse' });
  t.ok(await h.tryGet(VMI, 'default', 'db'));

  await h.waitFor('export deleted at its TTL', async () => !(await h.tryGet(EXPORT, 'default', 'db-export')), 60_000);
  t.pass('expired');
});

t.test('a missing VM keeps the export pending', async (t) => {
  await h.client.create(exportOf('ghost-export', 'VirtualMachine', 'ghost'));
  const status = await h.waitFor('export status', async () => {
    const current = await statusOf(h, EXPORT, 'ghost-export');
    return current.phase ? current : undefined;
  });
  t.equal(status.phase, 'Pending');
  t.match(condition(status, 'Ready'), { status: 'False', reason: 'VMNotFound' });
});
