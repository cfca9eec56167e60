import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_REF, type Node } from '../../../../src/kube/nodes.js';
import { startEmulator } from '../../../../src/emulator.js';
import type { VirtualClock } from '../../../../src/runtime/clock.js';
import { applyAll, manifest, KUBEVIRT_REF } from '../operator/operator-harness.js';
import { WORKER } from './handler-harness.js';

t.test("the handler runs on the virt-operator's virt-handler DaemonSet pods", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'virt-handler-install-'));
  const emulator = await startEmulator({
    port: 0,
    insecureHttp: true,
    kubeconfigPath: join(dir, 'kubeconfig'),
    workers: 1,
    clock: 'virtual',
  });
  const clock = emulator.clock as VirtualClock;
  t.teardown(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await applyAll(emulator.client, manifest('kubevirt-operator.yaml'));
  await applyAll(emulator.client, manifest('kubevirt-cr.yaml'));
  let node: Node | undefined;
  // A budget of polls (about 30 s on an idle machine), not a wall-clock deadline a loaded machine would miss.
  for (let poll = 0; poll < 6_000; poll++) {
    node = await emulator.client.get<Node>(NODE_REF, undefined, WORKER);
    if (node.metadata.labels?.['kubevirt.io/schedulable'] === 'true') break;
    await clock.advance(1000);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  t.equal(node?.metadata.labels?.['kubevirt.io/schedulable'], 'true');
  t.equal(node?.status?.allocatable?.['devices.kubevirt.io/kvm'], '1k');
  const kv = await emulator.client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt');
  t.ok(kv, 'install went on');
});
