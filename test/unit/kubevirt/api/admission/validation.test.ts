import t from 'tap';
import { StatusError } from '../../../../../src/api/errors.js';
import type { KubeObject } from '../../../../../src/api/types.js';
import { TYPES, startAdmissionHarness } from './harness.js';
import { baseSpec, disk, invalidManifests as cases, vm, vmi, withDomain, type Spec } from './invalid-manifests.js';

const harness = await startAdmissionHarness();
t.teardown(() => harness.stop());

const typeOf = (object: KubeObject) =>
  ({ VirtualMachine: TYPES.vm, VirtualMachineInstance: TYPES.vmi, VirtualMachineInstanceMigration: TYPES.migration })[
    object.kind as 'VirtualMachine'
  ]!;

t.ok(cases.length >= 30, `${cases.length} invalid manifests`);
for (const c of cases) {
  t.test(c.what, async (t) => {
    const err = await harness.admit(typeOf(c.object), c.object).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err instanceof StatusError, 'rejected');
    const status = err as StatusError;
    t.equal(status.code, c.code ?? 422);
    t.equal(status.message, `admission webhook "${c.webhook}" denied the request: ${c.message}`);
  });
}

t.test('a 422 lists one cause per rule with its field', async (t) => {
  const err = (await harness
    .admit(TYPES.vmi, vmi(withDomain({ devices: { disks: [disk('root'), disk('data')] } })))
    .catch((e: unknown) => e)) as StatusError;
  t.equal(err.reason, 'Invalid');
  t.same(err.details?.causes, [
    {
      reason: 'FieldValueInvalid',
      message: "spec.domain.devices.disks[1].Name 'data' not found.",
      field: 'spec.domain.devices.disks[1].name',
    },
  ]);
});

t.test('a valid VM passes, with the running deprecation warning', async (t) => {
  const warnings: string[] = [];
  await harness.admit(TYPES.vm, vm({ running: false }), { warnings });
  t.same(warnings, ['spec.running is deprecated, please use spec.runStrategy instead.']);
});

t.test('users may not change a VMI spec; KubeVirt service accounts may', async (t) => {
  const created = await harness.admit(TYPES.vmi, vmi(baseSpec()));
  const changed = { ...created, spec: { ...(created.spec as Spec), hostname: 'other' } };
  const err = (await harness
    .admit(TYPES.vmi, changed, { operation: 'UPDATE', oldObject: created })
    .catch((e: unknown) => e)) as StatusError;
  t.equal(
    err.message,
    'admission webhook "virtualmachineinstances-update-validator.kubevirt.io" denied the request: update of VMI object is restricted',
  );
  const controller = { username: 'system:serviceaccount:kubevirt:kubevirt-controller', groups: ['system:serviceaccounts'] };
  await harness.admit(TYPES.vmi, changed, { operation: 'UPDATE', oldObject: created, user: controller });
});

t.test('a user status change on a VMI is silently undone', async (t) => {
  const created = await harness.admit(TYPES.vmi, vmi(baseSpec()));
  const tampered = { ...created, status: { ...(created.status as Spec), phase: 'Running' } };
  const admitted = await harness.admit(TYPES.vmi, tampered, { operation: 'UPDATE', oldObject: created });
  t.equal((admitted.status as Spec).phase, 'Pending');
});

t.test('a VM update with nothing left to default changes nothing; one that lost a default gets it back', async (t) => {
  const created = await harness.admit(TYPES.vm, vm({ runStrategy: 'Always' }));
  const template = (created.spec as Spec).template as Spec & { spec: Spec & { domain: Spec & { machine?: Spec } } };
  t.ok(template.spec.architecture && template.spec.domain.machine?.type, 'the create set the architecture and the machine type');
  t.same(await harness.admit(TYPES.vm, created, { operation: 'UPDATE', oldObject: created }), created);
  const { machine, ...withoutMachine } = template.spec.domain;
  const lost = {
    ...created,
    spec: { ...(created.spec as Spec), template: { ...template, spec: { ...template.spec, domain: withoutMachine } } },
  };
  const restored = await harness.admit(TYPES.vm, lost, { operation: 'UPDATE', oldObject: created });
  t.same(restored, created, 'the machine type is back, the firmware as it was');
  t.same(machine, { type: 'q35' });
});

/** A deep-frozen copy, as stored objects (and the subtrees an update shares with them) are. */
const frozen = <T>(value: T): T => {
  const copy = structuredClone(value);
  const freeze = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    Object.freeze(v);
    for (const child of Object.values(v)) freeze(child);
  };
  freeze(copy);
  return copy;
};

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => 'admitted',
    (err: StatusError) => err.message,
  );

t.test('a VM validated again with the same frozen spec gets the same answer, per namespace and configuration', async (t) => {
  // An update of a VM's metadata shares the defaulted spec, frozen, with the stored version: the mutator leaves it alone.
  const stored = async (spec: Spec): Promise<KubeObject> => frozen(await harness.admit(TYPES.vm, { ...vm({}), spec }));
  const update = (object: KubeObject, namespace = 'default') =>
    rejection(
      harness.admit(TYPES.vm, { ...object, metadata: { ...object.metadata, namespace } }, { operation: 'UPDATE', oldObject: object }),
    );

  const withDataVolume = await stored({
    runStrategy: 'Always',
    dataVolumeTemplates: [{ metadata: { name: 'dv', namespace: 'default' } }],
    template: { spec: { ...baseSpec(), volumes: [{ name: 'root', dataVolume: { name: 'dv' } }] } },
  });
  t.equal(await update(withDataVolume), 'admitted');
  t.match(await update(withDataVolume, 'other'), 'Embedded DataVolume namespace default differs from VM namespace other');
  t.equal(await update(withDataVolume), 'admitted');

  // A feature gate turned on by the KubeVirt CR changes the answer for the same spec.
  const kubevirt = { apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'kubevirt', namespace: 'kubevirt' } };
  const client = harness.emulator.client;
  const settleInformers = async () => {
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  await client.create({
    ...kubevirt,
    spec: { configuration: { developerConfiguration: { featureGates: ['DecentralizedLiveMigration'] } } },
  });
  await settleInformers();
  const receiver = await stored({ runStrategy: 'WaitAsReceiver', template: { spec: baseSpec() } });
  t.equal(await update(receiver), 'admitted');
  await client.delete(kubevirt, 'kubevirt', 'kubevirt');
  await settleInformers();
  t.match(await update(receiver), 'DecentralizedLiveMigration feature gate is not enabled');
});

t.test('virt-api down: KubeVirt writes fail as the apiserver words it', async (t) => {
  const client = harness.emulator.client;
  await client.delete({ apiVersion: 'v1', kind: 'Pod' }, 'kubevirt', 'virt-api-standin', { gracePeriodSeconds: 0 });
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
  const service = await client.get<KubeObject & { spec: { clusterIP: string } }>(
    { apiVersion: 'v1', kind: 'Service' },
    'kubevirt',
    'virt-api',
  );
  const err = (await harness.admit(TYPES.vm, vm({ runStrategy: 'Always' })).catch((e: unknown) => e)) as StatusError;
  t.equal(err.code, 500);
  t.equal(
    err.message,
    `Internal error occurred: failed calling webhook "virtualmachines-mutator.kubevirt.io": failed to call webhook: Post "https://virt-api.kubevirt.svc:443/virtualmachines-mutate?timeout=10s": dial tcp ${service.spec.clusterIP}:443: connect: connection refused`,
  );
});
