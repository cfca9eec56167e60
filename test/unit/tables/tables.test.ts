import t from 'tap';
import {
  builtinTable,
  customResourceTable,
  defaultTable,
  humanDuration,
  type PrinterColumnDefinition,
} from '../../../src/api/tables/index.js';
import type { KubeObject } from '../../../src/api/types.js';
import { projectYaml } from '../../helpers/project-yaml.js';

const now = new Date('2024-05-10T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const nameDescription =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

t.test('humanDuration', async (t) => {
  const s = 1000;
  const cases: [number, string][] = [
    [-5 * s, '<invalid>'],
    [-1 * s, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [120 * s, '2m'],
    [182 * s, '3m2s'],
    [10 * 60 * s, '10m'],
    [179 * 60 * s, '179m'],
    [3 * 3600 * s, '3h'],
    [(5 * 3600 + 4 * 60) * s, '5h4m'],
    [47 * 3600 * s, '47h'],
    [(2 * 24 + 3) * 3600 * s, '2d3h'],
    [8 * 24 * 3600 * s, '8d'],
    [(2 * 365 + 20) * 24 * 3600 * s, '2y20d'],
    [9 * 365 * 24 * 3600 * s, '9y'],
  ];
  for (const [ms, expected] of cases) t.equal(humanDuration(ms), expected, expected);
});

function pod(status: Record<string, unknown>, extra: { spec?: Record<string, unknown>; deletionTimestamp?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(300), deletionTimestamp: extra.deletionTimestamp },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...extra.spec },
    status,
  };
}

const podRow = (p: KubeObject) => builtinTable('', 'Pod')!.renderRow(p, now);
const running = (ready = true, restartCount = 0, lastState = {}) => ({
  name: 'c',
  ready,
  restartCount,
  state: { running: { startedAt: ago(200) } },
  lastState,
});

t.test('pod columns as the apiserver sends them', async (t) => {
  const columns = builtinTable('', 'Pod')!.columns;
  t.same(
    columns.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
  );
  t.same(columns[0], { name: 'Name', type: 'string', format: 'name', description: nameDescription, priority: 0 });
  t.match(columns[5].description, /podIP address allocated to the pod/i);
});

t.test('pod status computation', async (t) => {
  t.same(podRow(pod({ phase: 'Pending' })).slice(1, 5), ['0/1', 'Pending', '0', '5m']);
  t.equal(
    podRow(
      pod({
        phase: 'Pending',
        containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
      }),
    )[2],
    'ContainerCreating',
  );
  t.same(podRow(pod({ phase: 'Running', containerStatuses: [running()], conditions: [{ type: 'Ready', status: 'True' }] })).slice(1, 3), [
    '1/1',
    'Running',
  ]);
  t.equal(
    podRow(
      pod({
        phase: 'Succeeded',
        containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      }),
    )[2],
    'Completed',
  );
  t.equal(
    podRow(
      pod({ phase: 'Failed', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 137 } } }] }),
    )[2],
    'ExitCode:137',
  );
  t.equal(podRow(pod({ phase: 'Running', containerStatuses: [running()] }, { deletionTimestamp: ago(1) }))[2], 'Terminating');
  t.equal(
    podRow(pod({ phase: 'Succeeded', containerStatuses: [] }, { deletionTimestamp: ago(1) }))[2],
    'Succeeded',
    'terminal pods are not Terminating',
  );
  t.equal(podRow(pod({ phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: ago(1) }))[2], 'Unknown');
  t.equal(
    podRow(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }))[2],
    'SchedulingGated',
  );
  t.equal(podRow(pod({ phase: 'Failed', reason: 'Evicted' }))[2], 'Evicted');

  const crashing = pod({
    phase: 'Running',
    containerStatuses: [
      {
        name: 'c',
        ready: false,
        restartCount: 5,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { exitCode: 1, finishedAt: ago(300) } },
      },
    ],
  });
  t.same(podRow(crashing).slice(1, 4), ['0/1', 'CrashLoopBackOff', '5 (5m ago)']);

  const initSpec = { spec: { initContainers: [{ name: 'init', image: 'x' }] } };
  t.equal(
    podRow(
      pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { running: {} } }] }, initSpec),
    )[2],
    'Init:0/1',
  );
  t.equal(
    podRow(
      pod(
        {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }],
        },
        initSpec,
      ),
    )[2],
    'Init:ImagePullBackOff',
  );
  t.equal(
    podRow(
      pod(
        {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }],
        },
        initSpec,
      ),
    )[2],
    'Init:ExitCode:2',
  );
  t.equal(
    podRow(
      pod(
        {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }],
        },
        initSpec,
      ),
    )[2],
    'Init:Error',
  );

  const sidecar = pod(
    {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
      initContainerStatuses: [
        {
          name: 'proxy',
          ready: true,
          started: true,
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(60) } },
        },
      ],
      containerStatuses: [running()],
    },
    { spec: { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] } },
  );
  t.same(podRow(sidecar).slice(1, 4), ['2/2', 'Running', '1 (60s ago)'], 'sidecars count as containers');
});

t.test('pod wide cells', async (t) => {
  const p = pod(
    {
      phase: 'Running',
      podIPs: [{ ip: '10.0.0.9' }],
      containerStatuses: [running()],
      conditions: [{ type: 'www.example.com/gate', status: 'True' }],
    },
    { spec: { nodeName: 'node01', readinessGates: [{ conditionType: 'www.example.com/gate' }] } },
  );
  t.same(podRow(p).slice(5), ['10.0.0.9', 'node01', '<none>', '1/1']);
  t.same(podRow(pod({ phase: 'Pending' })).slice(5), ['<none>', '<none>', '<none>', '<none>']);
});

t.test('deployment row', async (t) => {
  const table = builtinTable('apps', 'Deployment')!;
  t.same(
    table.columns.map((c) => [c.name, c.priority]),
    [
      ['Name', 0],
      ['Ready', 0],
      ['Up-to-date', 0],
      ['Available', 0],
      ['Age', 0],
      ['Containers', 1],
      ['Images', 1],
      ['Selector', 1],
    ],
  );
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'virt-operator', namespace: 'kubevirt', creationTimestamp: ago(3 * 24 * 3600 + 7200) },
    spec: {
      replicas: 2,
      selector: { matchLabels: { 'kubevirt.io': 'virt-operator' } },
      template: {
        spec: {
          containers: [
            { name: 'virt-operator', image: 'quay.io/kubevirt/virt-operator:v1.9.0' },
            { name: 'sidecar', image: 'busybox' },
          ],
        },
      },
    },
    status: { replicas: 2, readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 },
  };
  t.same(table.renderRow(deployment, now), [
    'virt-operator',
    '1/2',
    2,
    1,
    '3d2h',
    'virt-operator,sidecar',
    'quay.io/kubevirt/virt-operator:v1.9.0,busybox',
    'kubevirt.io=virt-operator',
  ]);
});

t.test('a few more printers', async (t) => {
  const node: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'node01',
      creationTimestamp: ago(60),
      labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' },
    },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '192.168.0.10' }],
      nodeInfo: { kubeletVersion: 'v1.32.4', osImage: 'Emulated' },
    },
  };
  t.same(builtinTable('', 'Node')!.renderRow(node, now), [
    'node01',
    'Ready,SchedulingDisabled',
    'control-plane,worker',
    '60s',
    'v1.32.4',
    '192.168.0.10',
    '<none>',
    'Emulated',
    '<unknown>',
    '<unknown>',
  ]);

  const svc: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'virt-api', creationTimestamp: ago(10) },
    spec: {
      type: 'NodePort',
      clusterIPs: ['10.96.0.10'],
      ports: [
        { port: 443, nodePort: 30443, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
      selector: { 'kubevirt.io': 'virt-api' },
    },
  };
  t.same(builtinTable('', 'Service')!.renderRow(svc, now), [
    'virt-api',
    'NodePort',
    '10.96.0.10',
    '<none>',
    '443:30443/TCP,53/UDP',
    '10s',
    'kubevirt.io=virt-api',
  ]);

  const event: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'vm1.17a', namespace: 'default' },
    involvedObject: { kind: 'VirtualMachineInstance', name: 'vm1' },
    reason: 'Created',
    message: 'VirtualMachineInstance defined.\n',
    type: 'Normal',
    source: { component: 'virt-handler', host: 'node01' },
    firstTimestamp: ago(600),
    lastTimestamp: ago(30),
    count: 2,
  };
  t.same(builtinTable('', 'Event')!.renderRow(event, now), [
    '30s',
    'Normal',
    'Created',
    'virtualmachineinstance/vm1',
    '',
    'virt-handler, node01',
    'VirtualMachineInstance defined.',
    '10m',
    2,
    'vm1.17a',
  ]);

  const webhook: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'virt-api-validator', creationTimestamp: ago(5) },
    webhooks: [{}, {}],
  };
  t.same(builtinTable('admissionregistration.k8s.io', 'ValidatingWebhookConfiguration')!.renderRow(webhook, now), [
    'virt-api-validator',
    2,
    '5s',
  ]);

  const apiService: KubeObject = {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: 'v1.subresources.kubevirt.io', creationTimestamp: ago(5) },
    spec: { service: { namespace: 'kubevirt', name: 'virt-api' } },
    status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints' }] },
  };
  t.same(builtinTable('apiregistration.k8s.io', 'APIService')!.renderRow(apiService, now), [
    'v1.subresources.kubevirt.io',
    'kubevirt/virt-api',
    'False (MissingEndpoints)',
    '5s',
  ]);

  const revision: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: 'virt-handler-5d8',
      creationTimestamp: ago(5),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'virt-handler', uid: 'u', controller: true }],
    },
    revision: 1,
  };
  t.same(builtinTable('apps', 'ControllerRevision')!.renderRow(revision, now), [
    'virt-handler-5d8',
    'daemonset.apps/virt-handler',
    1,
    '5s',
  ]);
});

t.test('kinds without a printer', async (t) => {
  t.equal(builtinTable('rbac.authorization.k8s.io', 'ClusterRole'), undefined);
  t.equal(builtinTable('apiextensions.k8s.io', 'CustomResourceDefinition'), undefined);
  const table = defaultTable();
  t.same(
    table.columns.map((c) => [c.name, c.type, c.format]),
    [
      ['Name', 'string', 'name'],
      ['Created At', 'date', ''],
    ],
  );
  const crd: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'virtualmachines.kubevirt.io', creationTimestamp: '2024-05-01T10:20:30Z' },
  };
  t.same(table.renderRow(crd, now), ['virtualmachines.kubevirt.io', '2024-05-01T10:20:30Z']);
});

t.test('KubeVirt printer columns from the CRDs', async (t) => {
  const crdColumns = (file: string): PrinterColumnDefinition[] =>
    projectYaml(new URL(`../../../schemas/kubevirt/crds/${file}`, import.meta.url)).spec.versions.find(
      (v: { name: string }) => v.name === 'v1',
    ).additionalPrinterColumns;

  const vmTable = customResourceTable(crdColumns('virtualmachines.kubevirt.io.yaml'));
  t.same(
    vmTable.columns.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Age', 'date', 0],
      ['Status', 'string', 0],
      ['Ready', 'string', 0],
    ],
  );
  t.equal(vmTable.columns[2].description, 'Human Readable Status');
  t.equal(
    vmTable.columns[3].description,
    "Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=='Ready')].status",
  );
  const vm: KubeObject = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'testvm', namespace: 'default', creationTimestamp: ago(90) },
    status: {
      printableStatus: 'Running',
      conditions: [
        { type: 'Paused', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
    },
  };
  t.same(vmTable.renderRow(vm, now), ['testvm', '90s', 'Running', 'True']);
  t.same(vmTable.renderRow({ ...vm, status: {} }, now), ['testvm', '90s', null, null], 'absent values are null cells');

  const vmiTable = customResourceTable(crdColumns('virtualmachineinstances.kubevirt.io.yaml'));
  t.same(
    vmiTable.columns.map((c) => [c.name, c.priority]),
    [
      ['Name', 0],
      ['Age', 0],
      ['Phase', 0],
      ['IP', 0],
      ['NodeName', 0],
      ['Ready', 0],
      ['Live-Migratable', 1],
      ['Paused', 1],
    ],
  );
  const vmi: KubeObject = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'testvm', namespace: 'default', creationTimestamp: ago(45) },
    status: {
      phase: 'Running',
      nodeName: 'node01',
      interfaces: [{ name: 'default', ipAddress: '10.244.0.12' }],
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'LiveMigratable', status: 'False', reason: 'DisksNotLiveMigratable' },
      ],
    },
  };
  t.same(vmiTable.renderRow(vmi, now), ['testvm', '45s', 'Running', '10.244.0.12', 'node01', 'True', 'False', null]);

  const fallback = customResourceTable([]);
  t.same(
    fallback.columns.map((c) => [c.name, c.type]),
    [
      ['Name', 'string'],
      ['Age', 'date'],
    ],
  );
  t.same(fallback.renderRow(vm, now), ['testvm', '90s']);
});

t.test('events.k8s.io events print like core ones', async (t) => {
  const event: KubeObject = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'e2', namespace: 'default' },
    regarding: { kind: 'Pod', name: 'virt-launcher-vm1-abcde' },
    note: 'Started container compute',
    reason: 'Started',
    type: 'Normal',
    reportingController: 'kubelet',
    reportingInstance: 'node01',
    eventTime: ago(20),
  };
  t.same(builtinTable('events.k8s.io', 'Event')!.renderRow(event, now), [
    '20s',
    'Normal',
    'Started',
    'pod/virt-launcher-vm1-abcde',
    '',
    'kubelet, node01',
    'Started container compute',
    '20s',
    1,
    'e2',
  ]);
});
