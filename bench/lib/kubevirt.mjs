// KubeVirt in a benchmark's emulator on the virtual clock: the release
// manifests created through the in-process client, then virtual time stepped
// until the KubeVirt CR is Available; plus a VMI / VM of the size KubeVirt's
// perf lane uses (cirros container disk, 128Mi).
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';

const MANIFESTS = new URL('../../schemas/kubevirt/manifests/', import.meta.url);
const KUBEVIRT = { apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt' };

async function createAll(client, file) {
  for (const doc of parseAllDocuments(await readFile(new URL(file, MANIFESTS), 'utf8'))) {
    const obj = doc.toJSON();
    if (obj) await client.create(obj);
  }
}

/** Steps the virtual clock by `stepMs` until `probe` answers true (or `maxMs` of virtual time passed). */
export async function stepUntil(clock, probe, { stepMs = 100, maxMs = 600_000 } = {}) {
  for (let waited = 0; waited <= maxMs; waited += stepMs) {
    if (await probe()) return;
    await clock.advance(stepMs);
  }
  throw new Error(`not done after ${maxMs / 1000} s of virtual time`);
}

export async function installKubeVirt(emulator) {
  await createAll(emulator.client, 'kubevirt-operator.yaml');
  await createAll(emulator.client, 'kubevirt-cr.yaml');
  const available = async () => {
    const kv = await emulator.client.get(KUBEVIRT, 'kubevirt', 'kubevirt').catch(() => undefined);
    return kv?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
  };
  await stepUntil(emulator.clock, available, { stepMs: 1000 });
}

export const cirrosVmiSpec = () => ({
  domain: { devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }] }, resources: { requests: { memory: '128Mi' } } },
  terminationGracePeriodSeconds: 0,
  volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo:v1.9.0' } }],
});
