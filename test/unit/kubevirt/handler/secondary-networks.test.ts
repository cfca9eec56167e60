import t from 'tap';
import { NODE_REF, type Node } from '../../../../src/kube/nodes.js';
import { POD_REF, type Pod } from '../../../../src/kube/pods.js';
import { missingPodLinkError, NETWORK_STATUS_ANNOTATION, podLinks } from '../../../../src/kubevirt/handler/pod-network.js';
import type { VirtualMachineInstance } from '../../../../src/kubevirt/handler/vmi-types.js';
import { startHandlerHarness, WORKER, type HandlerHarness } from './handler-harness.js';
import { projectYaml } from '../../../helpers/project-yaml.js';

/** `pod` + the first 11 hex digits of the SHA-256 of the network name (KubeVirt's hashed naming scheme). */
const PTP_LINK = 'pode31d7ce2712';
const SYNC_FAILED = 'Synchronizing with the Domain failed.';
const PTP_MISSING = `failed to configure vmi network: setup failed, err: pod link (${PTP_LINK}) is missing`;

function exampleVmi(file: string): VirtualMachineInstance {
  const vmi = projectYaml<VirtualMachineInstance>(new URL(`../../../../schemas/kubevirt/examples/${file}`, import.meta.url));
  return { ...vmi, metadata: { ...vmi.metadata, namespace: 'default' } };
}

const condition = (vmi: VirtualMachineInstance, type: string) => vmi.status?.conditions?.find((c) => c.type === type);

const waitVmi = (h: HandlerHarness, name: string, what: string, until: (v: VirtualMachineInstance) => boolean) =>
  h.waitFor(what, async () => {
    const v = await h.getVmi(name);
    return until(v) ? v : undefined;
  });

const handlerUp = (h: HandlerHarness) =>
  h.waitFor(
    'handler up',
    async () => (await h.client.get<Node>(NODE_REF, undefined, WORKER)).metadata.labels?.['kubevirt.io/schedulable'] === 'true',
  );

t.test('the pod links network setup needs: eth0 always, secondaries only as Multus reports them', async (t) => {
  const ptp = exampleVmi('vmi-multus-ptp.yaml');
  t.equal(missingPodLinkError(ptp, podLinks(undefined)), PTP_MISSING, 'a bridge on a Multus network needs its pod<hash> link');
  const pod = {
    metadata: {
      annotations: {
        [NETWORK_STATUS_ANNOTATION]: JSON.stringify([
          { name: 'k8s-pod-network', interface: 'eth0', default: true },
          { name: 'default/ptp-conf', interface: PTP_LINK },
        ]),
      },
    },
  } as unknown as Pod;
  t.equal(missingPodLinkError(ptp, podLinks(pod)), undefined, 'the network-status annotation shows the link');
  const unreadable = { metadata: { annotations: { [NETWORK_STATUS_ANNOTATION]: '{not json' } } } as unknown as Pod;
  t.same([...podLinks(unreadable)], ['eth0'], 'an unreadable annotation attaches nothing');
  t.equal(
    missingPodLinkError(exampleVmi('vmi-sriov.yaml'), podLinks(undefined)),
    undefined,
    'SR-IOV needs no pod link; masquerade on the pod network has eth0',
  );
  const unplugging = exampleVmi('vmi-multus-multiple-net.yaml');
  unplugging.spec!.domain!.devices!.interfaces![1].state = 'absent';
  t.equal(missingPodLinkError(unplugging, podLinks(undefined)), undefined, 'an interface being unplugged needs no link');
});

t.test('vmi-multus-multiple-net without Multus: stays Scheduled, Synchronized=False, until the link shows up', async (t) => {
  const h = await startHandlerHarness();
  t.teardown(() => h.stop());
  await handlerUp(h);
  const { pod } = await h.scheduleVmi(exampleVmi('vmi-multus-multiple-net.yaml'));
  const refused = await waitVmi(h, 'vmi-multus-multiple-net', 'Synchronized=False', (v) => condition(v, 'Synchronized') !== undefined);
  t.equal(refused.status?.phase, 'Scheduled');
  t.match(condition(refused, 'Synchronized'), { status: 'False', reason: SYNC_FAILED, message: PTP_MISSING });
  await h.clock.advance(60_000);
  const later = await h.getVmi('vmi-multus-multiple-net');
  t.equal(later.status?.phase, 'Scheduled', 'a minute later the VMI still waits');
  t.same(
    (await h.events('vmi-multus-multiple-net')).filter((e) => e.type === 'Warning'),
    [{ type: 'Warning', reason: 'SyncFailed', message: PTP_MISSING }],
    'one SyncFailed event, no domain defined',
  );

  // Multus reports the secondary interface: the network comes up and the domain starts.
  const networkStatus = [
    { name: 'k8s-pod-network', interface: 'eth0', default: true },
    { name: 'examples/ptp-conf', interface: PTP_LINK },
  ];
  await h.client.patch(POD_REF, 'default', pod.metadata.name ?? '', 'merge', {
    metadata: { annotations: { [NETWORK_STATUS_ANNOTATION]: JSON.stringify(networkStatus) } },
  });
  const running = await waitVmi(h, 'vmi-multus-multiple-net', 'Running', (v) => v.status?.phase === 'Running');
  t.notOk(condition(running, 'Synchronized'), 'the condition goes once the sync succeeds');
  t.match(running.status?.interfaces, [
    { name: 'default', podInterfaceName: 'eth0' },
    { name: 'ptp', podInterfaceName: PTP_LINK, infoSource: /multus-status/ },
  ]);
});

t.test('vmi-sriov without Multus: runs without the SR-IOV NIC (virt-launcher attaches only VFs Multus reported)', async (t) => {
  const h = await startHandlerHarness();
  t.teardown(() => h.stop());
  await handlerUp(h);
  await h.scheduleVmi(exampleVmi('vmi-sriov.yaml'));
  const running = await waitVmi(h, 'vmi-sriov', 'Running', (v) => v.status?.phase === 'Running');
  t.notOk(condition(running, 'Synchronized'));
  t.same(
    running.status?.interfaces?.map((i) => i.name),
    ['default'],
    'no status for the SR-IOV interface',
  );
});
