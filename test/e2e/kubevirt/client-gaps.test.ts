/**
 * Issue 14, what real KubeVirt clients hit, against one emulator with KubeVirt installed:
 * - a web UI creates a VM with POST to its named path (kube's CRD handler takes any POST as create);
 * - admission runs before storage refuses a duplicate (apiserver registry/generic/registry/store.go Create: BeforeCreate
 *   and the validating admission run before Storage.Create answers AlreadyExists), which KubeVirt's
 *   tests/replicaset_test.go [test_id:1411]/[test_id:1412] rely on: an invalid duplicate VMIRS gets virt-api's 422.
 */
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { rawClient, type RawClient } from '../../helpers/raw-https.js';
import { parseTable } from '../../helpers/kubectl.js';
import { POD_REF, type Pod } from '../../../src/kube/pods.js';

let fixture: EmulatorFixture;
let api: RawClient;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 2, installKubeVirt: true });
  api = rawClient(fixture.emulator.url, fixture.kubeconfigPath);
});

const domain = { devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }] }, memory: { guest: '128Mi' }, resources: {} };
const volumes = [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo' } }];
const vmiSpec = (extra: Record<string, unknown> = {}) => ({ domain, volumes, terminationGracePeriodSeconds: 0, ...extra });

t.test('a UI creates a VM with POST to the VM named path', async (t) => {
  const vm = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'ui-vm1', namespace: 'default' },
    spec: { runStrategy: 'Halted', template: { spec: vmiSpec() } },
  };
  const created = await api.send('POST', '/apis/kubevirt.io/v1/namespaces/default/virtualmachines/ui-vm1', { body: vm });
  t.equal(created.status, 201, created.text);
  const got = await fixture.kubectl(['get', 'vm', 'ui-vm1', '-o', 'jsonpath={.spec.runStrategy}']);
  t.equal(got.stdout, 'Halted');
});

t.test('an invalid duplicate VMIRS gets the webhook 422, a valid duplicate 409', async (t) => {
  const rs = (disks: unknown[]) => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceReplicaSet',
    metadata: { name: 'dup-rs', namespace: 'default' },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'dup-rs' } },
      template: { metadata: { labels: { app: 'dup-rs' } }, spec: vmiSpec({ domain: { ...domain, devices: { disks } } }) },
    },
  });
  const path = '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstancereplicasets';
  t.equal((await api.send('POST', path, { body: rs(domain.devices.disks) })).status, 201);
  const invalid = await api.send('POST', path, { body: rs([...domain.devices.disks, { name: 'testdisk' }]) });
  t.equal(invalid.status, 422, invalid.text);
  t.same(
    invalid.json.details?.causes?.map((c) => c.field),
    ['spec.template.spec.domain.devices.disks[1].name'],
    'the cause virt-api names',
  );
  const valid = await api.send('POST', path, { body: rs(domain.devices.disks) });
  t.equal(valid.status, 409);
  t.equal(valid.json.message, 'virtualmachineinstancereplicasets.kubevirt.io "dup-rs" already exists');
});

/** Polls a jsonpath of `kubectl get` until it reads `want` (20 s); answers what it read last. */
async function waitFor(args: string[], jsonpath: string, want: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const read = (await fixture.kubectl(['get', ...args, '-o', `jsonpath=${jsonpath}`])).stdout;
    if (read === want || Date.now() > deadline) return read;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// virt-launcher starts a VMI with spec.startStrategy Paused with VIR_DOMAIN_START_PAUSED, so libvirt reports the
// "User" pause reason and virt-handler's calculatePausedCondition (pkg/virt-handler/vm.go) adds Paused=True,
// PausedByUser, "VMI was paused by user"; the VM controller mirrors VMI conditions and prints Paused.
t.test('spec.startStrategy Paused starts the VMI paused, on the VMI and the VM', async (t) => {
  const vm = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'paused-vm', namespace: 'default' },
    spec: { runStrategy: 'Always', template: { spec: vmiSpec({ startStrategy: 'Paused' }) } },
  };
  t.equal((await fixture.kubectl(['create', '-f', '-'], { input: JSON.stringify(vm) })).code, 0);
  const paused = '{.status.conditions[?(@.type=="Paused")].status} {.status.conditions[?(@.type=="Paused")].reason}';
  t.equal(await waitFor(['vmi', 'paused-vm'], paused, 'True PausedByUser'), 'True PausedByUser');
  const vmi = JSON.parse((await fixture.kubectl(['get', 'vmi', 'paused-vm', '-o', 'json'])).stdout);
  const condition = vmi.status.conditions.find((c: { type: string }) => c.type === 'Paused');
  t.equal(condition.message, 'VMI was paused by user');
  t.ok(condition.lastProbeTime && condition.lastTransitionTime, 'both times stamped');
  t.equal(vmi.status.phase, 'Running');
  t.equal(
    await waitFor(['vm', 'paused-vm'], `${paused} {.status.printableStatus}`, 'True PausedByUser Paused'),
    'True PausedByUser Paused',
  );

  const unpause = await api.send('PUT', '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachineinstances/paused-vm/unpause', {
    body: {},
  });
  t.equal(unpause.status, 200, unpause.text);
  t.equal(await waitFor(['vm', 'paused-vm'], '{.status.printableStatus}', 'Running'), 'Running');
  t.equal(await waitFor(['vmi', 'paused-vm'], paused, ' '), ' ', 'the Paused condition is gone');
});

// The launcher pod as v1.9's pkg/virt-controller/services/template.go renders it, through kube-apiserver's
// ServiceAccount and Priority admission plugins (plugin/pkg/admission/serviceaccount, plugin/pkg/admission/priority):
// no ServiceAccount named means "default"; no PriorityClass means priority 0 and PreemptLowerPriority; KubeVirt's own
// pods name kubevirt-cluster-critical (value 1000000000 in kubevirt-operator.yaml).
t.test('launcher and KubeVirt pods: compute args, service account, priority', async (t) => {
  const launcher = JSON.parse((await fixture.kubectl(['get', 'pods', '-l', 'kubevirt.io/created-by', '-o', 'json'])).stdout).items.find(
    (p: { metadata: { name: string } }) => p.metadata.name.startsWith('virt-launcher-paused-vm-'),
  );
  t.ok(launcher, 'the launcher pod of paused-vm');
  const compute = launcher.spec.containers.find((c: { name: string }) => c.name === 'compute');
  const args: string[] = compute.command;
  t.equal(args[args.indexOf('--disk-memory-limit') + 1], '2097152000');
  t.equal(args[args.indexOf('--hypervisor') + 1], 'kvm');
  t.ok(args.indexOf('--hypervisor') > args.indexOf('--ovmf-path'), 'in the template order');
  t.equal(launcher.spec.serviceAccountName, 'default');
  t.equal(launcher.spec.serviceAccount, 'default');
  t.equal(launcher.spec.priority, 0);
  t.equal(launcher.spec.preemptionPolicy, 'PreemptLowerPriority');

  const operands = JSON.parse((await fixture.kubectl(['-n', 'kubevirt', 'get', 'pods', '-o', 'json'])).stdout).items as {
    metadata: { name: string };
    spec: { priorityClassName?: string; priority?: number; preemptionPolicy?: string };
  }[];
  for (const prefix of ['virt-api-', 'virt-controller-', 'virt-handler-', 'virt-operator-']) {
    const pod = operands.find((p) => p.metadata.name.startsWith(prefix));
    t.match(
      pod?.spec,
      { priorityClassName: 'kubevirt-cluster-critical', priority: 1000000000, preemptionPolicy: 'PreemptLowerPriority' },
      prefix,
    );
  }

  const classes = (await fixture.kubectl(['get', 'priorityclass', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.value} {end}']))
    .stdout;
  t.match(classes, 'system-cluster-critical=2000000000');
  t.match(classes, 'system-node-critical=2000001000');
  const noClass = await fixture.kubectl(['run', 'nopc', '--image=busybox', '--overrides', '{"spec":{"priorityClassName":"nope"}}']);
  t.equal(noClass.stderr.trim(), 'Error from server (Forbidden): pods "nopc" is forbidden: no PriorityClass with name nope was found');
});

// virt-api's GET subresources.kubevirt.io/v1/guestfs (pkg/virt-api/api.go GetGsInfo), which `virtctl guestfs` asks
// for the libguestfs-tools image: kubecli.GuestfsInfo from the KubeVirt CR's observed registry, version and config.
t.test('guestfs answers the libguestfs image information', async (t) => {
  const answer = await api.send('GET', '/apis/subresources.kubevirt.io/v1/guestfs');
  t.equal(answer.status, 200, answer.text);
  const kv = JSON.parse((await fixture.kubectl(['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', 'json'])).stdout);
  t.match(answer.json, { registry: kv.status.observedKubeVirtRegistry, tag: kv.status.observedKubeVirtVersion, digest: '' });
  t.same(Object.keys(answer.json), ['registry', 'tag', 'digest', 'imagePrefix', 'gsImage'], 'GuestfsInfo fields in order');
});

// virt-api's VM admitter checks the preference's requirements once the template is expanded and defaulted
// (vms-admitter.go; pkg/instancetype/preference/requirements cpu.go and memory.go): one FieldValueNotFound cause.
t.test('preference requirements are refused at VM create with virt-api messages', async (t) => {
  const preference = {
    apiVersion: 'instancetype.kubevirt.io/v1beta1',
    kind: 'VirtualMachinePreference',
    metadata: { name: 'needs-more', namespace: 'default' },
    spec: { requirements: { cpu: { guest: 2 }, memory: { guest: '1Gi' } } },
  };
  t.equal((await fixture.kubectl(['create', '-f', '-'], { input: JSON.stringify(preference) })).code, 0);
  const vm = (name: string, domainExtra: Record<string, unknown>) => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: 'default' },
    spec: {
      runStrategy: 'Halted',
      preference: { kind: 'VirtualMachinePreference', name: 'needs-more' },
      template: { spec: vmiSpec({ domain: { ...domain, ...domainExtra } }) },
    },
  });
  const path = '/apis/kubevirt.io/v1/namespaces/default/virtualmachines';
  const cpu = await api.send('POST', path, { body: vm('few-cpus', { cpu: { sockets: 1 } }) });
  t.equal(cpu.status, 422, cpu.text);
  t.equal(
    cpu.json.message,
    'admission webhook "virtualmachine-validator.kubevirt.io" denied the request: failure checking preference requirements: ' +
      'insufficient CPU resources of 1 vCPU provided by VirtualMachine, preference requires 2 vCPU provided as sockets',
  );
  t.same(
    cpu.json.details?.causes?.map((c) => c.field),
    ['spec.template.spec.domain.cpu.sockets'],
  );
  const memory = await api.send('POST', path, { body: vm('little-memory', { cpu: { sockets: 2 } }) });
  t.equal(memory.status, 422, memory.text);
  t.match(
    memory.json.message,
    'failure checking preference requirements: insufficient Memory resources of 128Mi provided by VirtualMachine, preference requires 1Gi',
  );
  const enough = await api.send('POST', path, { body: vm('enough', { cpu: { sockets: 2 }, memory: { guest: '1Gi' } }) });
  t.equal(enough.status, 201, enough.text);
});

// A containerDisk whose registry cannot resolve (`.invalid`, RFC 6761): the kubelet reports the launcher's container
// waiting ErrImagePull with containerd's error, then ImagePullBackOff (kubelet v1.32 pkg/kubelet/images/image_manager.go,
// with its Events); virt-controller's checkForContainerImageError (pkg/virt-controller/watch/vmi.go) turns the waiting
// reason into the Scheduling VMI's Synchronized=False condition, and the VM's printableStatus follows it
// (setPrintableStatus in pkg/virt-controller/watch/vm.go: ErrImagePull, ImagePullBackOff).
t.test('a containerDisk that cannot be pulled: ErrImagePull, ImagePullBackOff on pod, VMI and VM', async (t) => {
  const image = 'registry.invalid/kubevirt/cirros-container-disk-demo:v1.9.0';
  const reasons: string[] = [];
  const watch = fixture.emulator.client
    .watch<Pod>(POD_REF, { namespace: 'default', labelSelector: 'vm.kubevirt.io/name=pull-vm' })
    .subscribe({
      next: (event) => {
        const statuses = [...(event.object.status?.initContainerStatuses ?? []), ...(event.object.status?.containerStatuses ?? [])];
        const reason = statuses.map((s) => s.state?.waiting?.reason).find((r) => r === 'ErrImagePull' || r === 'ImagePullBackOff');
        if (reason && reasons[reasons.length - 1] !== reason) reasons.push(reason);
      },
    });
  t.teardown(() => watch.unsubscribe());
  const vm = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'pull-vm', namespace: 'default' },
    spec: { runStrategy: 'Always', template: { spec: { ...vmiSpec(), volumes: [{ name: 'containerdisk', containerDisk: { image } }] } } },
  };
  t.equal((await fixture.kubectl(['create', '-f', '-'], { input: JSON.stringify(vm) })).code, 0);
  const backOff = await fixture.kubectl([
    'wait',
    'vm/pull-vm',
    '--for=jsonpath={.status.printableStatus}=ImagePullBackOff',
    '--timeout=20s',
  ]);
  t.equal(backOff.code, 0, backOff.stderr);
  t.same(reasons.slice(0, 2), ['ErrImagePull', 'ImagePullBackOff'], 'the pod: ErrImagePull, then ImagePullBackOff');

  const vmi = JSON.parse((await fixture.kubectl(['get', 'vmi', 'pull-vm', '-o', 'json'])).stdout);
  t.equal(vmi.status.phase, 'Scheduling');
  t.match(
    vmi.status.conditions.find((c: { type: string }) => c.type === 'Synchronized'),
    {
      status: 'False',
      reason: 'ImagePullBackOff',
      message: `Back-off pulling image "${image}"`,
    },
  );
  const get = parseTable((await fixture.kubectl(['get', 'vm', 'pull-vm'])).stdout);
  t.equal(get.rows[0]?.[2], 'ImagePullBackOff', 'kubectl get vm prints it');

  const pod = (await fixture.kubectl(['get', 'pods', '-l', 'vm.kubevirt.io/name=pull-vm', '-o', 'jsonpath={.items[0].metadata.name}']))
    .stdout;
  const events = (
    await fixture.kubectl([
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${pod}`,
      '-o',
      'jsonpath={range .items[*]}{.type} {.reason}: {.message}{"\\n"}{end}',
    ])
  ).stdout;
  t.match(events, `Warning Failed: Failed to pull image "${image}": rpc error: code = Unknown desc = failed to pull and unpack image`);
  t.match(events, 'dial tcp: lookup registry.invalid: no such host');
  t.match(events, 'Warning Failed: Error: ErrImagePull');
  t.match(events, `Normal BackOff: Back-off pulling image "${image}"`);
  t.match(events, 'Warning Failed: Error: ImagePullBackOff');
  t.equal((await fixture.kubectl(['delete', 'vm', 'pull-vm', '--wait=false'])).code, 0);
});

// The image KubeVirt's own [test_id:6869] uses ("no-such-image", tests/vm_test.go) resolves to docker.io, which answers
// "not found"; an image-pull-failure Fault makes the emulator's registries answer so for the image it names.
t.test('an image-pull-failure Fault: pulls of its image fail with the registry not found, until it is deleted', async (t) => {
  const fault = {
    apiVersion: 'emulator.kubevirt.io/v1alpha1',
    kind: 'Fault',
    metadata: { name: 'no-such-image', namespace: 'default' },
    spec: { type: 'image-pull-failure', target: { image: 'no-such-image' } },
  };
  t.equal((await fixture.kubectl(['create', '-f', '-'], { input: JSON.stringify(fault) })).code, 0);
  const active = await fixture.kubectl(['wait', 'fault/no-such-image', '--for=jsonpath={.status.phase}=Active', '--timeout=10s']);
  t.equal(active.code, 0, active.stderr);
  t.equal((await fixture.kubectl(['run', 'no-such', '--image=no-such-image'])).code, 0);
  const waiting = '{.status.containerStatuses[0].state.waiting.reason}';
  const backOff = await fixture.kubectl(['wait', 'pod/no-such', `--for=jsonpath=${waiting}=ImagePullBackOff`, '--timeout=20s']);
  t.equal(backOff.code, 0, backOff.stderr);
  const events = (
    await fixture.kubectl([
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=no-such',
      '-o',
      'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
    ])
  ).stdout;
  const reference = 'docker.io/library/no-such-image:latest';
  t.match(
    events,
    `Failed to pull image "no-such-image": rpc error: code = NotFound desc = failed to pull and unpack image "${reference}": ` +
      `failed to resolve reference "${reference}": ${reference}: not found`,
  );
  t.equal((await fixture.kubectl(['get', 'pod', 'no-such', '-o', 'jsonpath={.status.phase}'])).stdout, 'Pending');

  t.equal((await fixture.kubectl(['delete', 'fault', 'no-such-image'])).code, 0);
  t.equal((await fixture.kubectl(['run', 'such', '--image=no-such-image'])).code, 0);
  const running = await fixture.kubectl(['wait', 'pod/such', '--for=jsonpath={.status.phase}=Running', '--timeout=20s']);
  t.equal(running.code, 0, running.stderr);
  await fixture.kubectl(['delete', 'pod', 'no-such', 'such', '--wait=false']);
});
