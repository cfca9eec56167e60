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
