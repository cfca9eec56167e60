/**
 * What `kubectl port-forward` to a launcher pod reaches: the guest's SSH
 * server through masquerade (all ports, or only the declared ones), nothing
 * with bridge binding, nothing on a pod that does not run the domain.
 */
import t from 'tap';
import { guestMachine } from './guest-harness.js';
import { launcherPortListener } from '../../../../src/kubevirt/handler/guest/launcher-ports.js';
import type { Domain } from '../../../../src/kubevirt/handler/domains.js';
import type { VirtualMachineInstance } from '../../../../src/kubevirt/handler/vmi-types.js';

const image = 'quay.io/containerdisks/fedora:41';

function launcher(binding: Record<string, unknown>) {
  const vmi: VirtualMachineInstance = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'vm1', namespace: 'default', uid: 'vmi-uid' },
    spec: {
      volumes: [{ name: 'disk', containerDisk: { image } }],
      networks: [{ name: 'default', pod: {} }],
      domain: { devices: { interfaces: [{ name: 'default', ...binding }] } },
    },
  };
  const machine = guestMachine(vmi, image);
  const domain = { uid: 'vmi-uid', key: 'default/vm1', podUid: 'pod-uid', state: 'Running', machine } as unknown as Domain;
  const listener = launcherPortListener(
    (uid) => (uid === 'vmi-uid' ? domain : undefined),
    () => vmi,
  );
  const pod = (uid: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { uid, labels: { 'kubevirt.io/created-by': 'vmi-uid' } } });
  return { at: (port: number, podUid = 'pod-uid') => listener(pod(podUid), port) };
}

t.test('masquerade without ports forwards every port the guest listens on', async (t) => {
  const pod = launcher({ masquerade: {} });
  t.type(pod.at(22), 'function', "the guest's SSH server");
  t.equal(pod.at(80), undefined, 'nothing listens on 80 in the guest');
  t.equal(pod.at(22, 'migration-target-pod'), undefined, 'a pod that does not run the domain');
});

t.test('masquerade with declared ports forwards only those', async (t) => {
  t.equal(launcher({ masquerade: {}, ports: [{ port: 80 }] }).at(22), undefined);
  t.type(launcher({ masquerade: {}, ports: [{ port: 22 }] }).at(22), 'function');
});

t.test("bridge binding: the guest holds the pod's address, nothing listens on the pod's localhost", async (t) => {
  t.equal(launcher({ bridge: {} }).at(22), undefined);
});
