import t from 'tap';
import { clusterConfig } from '../../../../../src/kubevirt/controller/cluster-config.js';
import { renderLauncherPod } from '../../../../../src/kubevirt/controller/services/launcher-pod.js';
import type { VirtualMachineInstance } from '../../../../../src/kubevirt/controller/types.js';

const vmi = (spec: Record<string, unknown>, domain: Record<string, unknown> = {}): VirtualMachineInstance => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'v', namespace: 'ns', uid: 'u' },
  spec: { domain: { memory: { guest: '1Gi' }, ...domain }, ...spec },
});
const compute = (pod: ReturnType<typeof renderLauncherPod>) => pod.spec.containers[0].resources ?? {};

t.test('device-plugin GPUs and host devices are requested and limited, one per device', async (t) => {
  const pod = renderLauncherPod(
    vmi(
      {},
      {
        devices: {
          gpus: [
            { name: 'a', deviceName: 'nvidia.com/P40' },
            { name: 'b', deviceName: 'nvidia.com/P40' },
          ],
          hostDevices: [{ name: 'usb', deviceName: 'kubevirt.io/storage' }],
        },
      },
    ),
    clusterConfig(undefined, undefined),
    0,
  );
  t.equal(compute(pod).limits?.['nvidia.com/P40'], '2');
  t.equal(compute(pod).requests?.['nvidia.com/P40'], '2');
  t.equal(compute(pod).limits?.['kubevirt.io/storage'], '1');
});

t.test('DRA GPUs become compute claims and the VMI resource claims the pod resourceClaims', async (t) => {
  const pod = renderLauncherPod(
    vmi(
      { resourceClaims: [{ name: 'c', resourceClaimTemplateName: 'tmpl' }] },
      { devices: { gpus: [{ name: 'g', claimName: 'c', requestName: 'pgpu' }] } },
    ),
    clusterConfig(undefined, undefined),
    0,
  );
  t.same(compute(pod).claims, [{ name: 'c', request: 'pgpu' }]);
  t.same(pod.spec.resourceClaims, [{ name: 'c', resourceClaimTemplateName: 'tmpl' }]);
  t.notOk(
    Object.keys(compute(pod).limits ?? {}).some((k) => k.startsWith('nvidia')),
    'no device-plugin resource for a claimed GPU',
  );
});

t.test('Multus networks: the networks annotation, and the NAD resources when KubeVirt reads them', async (t) => {
  const spec = {
    networks: [
      { name: 'default', pod: {} },
      { name: 'sriov-net', multus: { networkName: 'sriov/sriov-network' } },
      { name: 'ptp', multus: { networkName: 'ptp-conf' } },
    ],
  };
  const pod = renderLauncherPod(vmi(spec), clusterConfig(undefined, undefined), 0, { 'sriov-net': 'intel.com/sriov', ptp: '' });
  const networks = JSON.parse(pod.metadata.annotations?.['k8s.v1.cni.cncf.io/networks'] ?? '[]') as Array<{
    name: string;
    namespace: string;
    interface: string;
  }>;
  t.same(
    networks.map((n) => `${n.namespace}/${n.name}`),
    ['sriov/sriov-network', 'ns/ptp-conf'],
  );
  t.match(networks[0].interface, /^pod[0-9a-f]{11}$/);
  t.equal(compute(pod).requests?.['intel.com/sriov'], '1');
  t.equal(clusterConfig(undefined, undefined).externalNetResourceInjection, true, 'ExternalNetResourceInjection is Beta: on by default');
  const disabled = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'KubeVirt',
    metadata: { name: 'kv' },
    spec: { configuration: { developerConfiguration: { disabledFeatureGates: ['ExternalNetResourceInjection'] } } },
  };
  t.equal(clusterConfig(undefined, disabled).externalNetResourceInjection, false);
});
