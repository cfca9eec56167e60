import t from 'tap';
import { applyAll, KUBEVIRT_REF, manifest, startHarness, tryGet } from './operator-harness.js';
t.test('debug', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.stop());
  const { client, waitFor } = h;
  await applyAll(client, manifest('kubevirt-operator.yaml'));
  await applyAll(client, manifest('kubevirt-cr.yaml'));
  await waitFor('x', async () => undefined, 8000).catch(() => {});
  for (const kind of ['Deployment', 'DaemonSet']) {
    const l = await client.list({ apiVersion: 'apps/v1', kind }, { namespace: 'kubevirt' });
    for (const d of l.items) console.log(kind, d.metadata.name, JSON.stringify({ ...(d.status as any), conditions: undefined }));
  }
  const pods = await client.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'kubevirt' });
  for (const p of pods.items) console.log(p.metadata.name, (p.spec as any).nodeName, JSON.stringify((p.status as any)?.phase), JSON.stringify((p.status as any)?.conditions?.map((c: any) => c.type + c.status + (c.message ?? ''))));
  const nodes = await client.list({ apiVersion: 'v1', kind: 'Node' });
  for (const n of nodes.items) console.log(n.metadata.name, JSON.stringify(n.metadata.labels));
  const kv = await client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt');
  console.log((kv.status as any).phase, JSON.stringify((kv.status as any).conditions));
  void tryGet;
});
