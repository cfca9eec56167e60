import t from 'tap';
import { StatusError } from '../../../src/api/errors.js';
import {
  fieldsForKind,
  fieldSelectorMatcher,
  parseFieldSelector,
  resourceFieldSelector,
} from '../../../src/api/selectors/field-selector.js';
import type { KubeObject } from '../../../src/api/types.js';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p1', namespace: 'default' },
  spec: {
    nodeName: 'node01',
    restartPolicy: 'Always',
    hostNetwork: true,
    serviceAccountName: 'default',
    schedulerName: 'default-scheduler',
  },
  status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }] },
};

const event: KubeObject = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'e1', namespace: 'default' },
  involvedObject: { kind: 'Deployment', name: 'web', namespace: 'default', uid: 'u-1' },
  reason: 'ScalingReplicaSet',
  type: 'Normal',
  reportingComponent: 'deployment-controller',
  source: {},
};

const target = (group: string, kind: string, namespaced = true, custom = false) => ({ group, kind, namespaced, custom });

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError && err.code === 400) return err.message;
    throw err;
  }
  throw new Error('no error');
}

t.test('parse', async (t) => {
  t.same(parseFieldSelector('a=b,c!=d,e==f'), [
    { field: 'a', operator: '=', value: 'b' },
    { field: 'c', operator: '!=', value: 'd' },
    { field: 'e', operator: '==', value: 'f' },
  ]);
  t.same(parseFieldSelector('a=x\\,y'), [{ field: 'a', operator: '=', value: 'x,y' }], 'escaped comma');
  t.same(parseFieldSelector(''), []);
  t.equal(
    badRequest(() => parseFieldSelector('a=b,oops')),
    "invalid selector: 'a=b,oops'; can't understand 'oops'",
  );
});

t.test('pod fields', async (t) => {
  const fields = fieldsForKind('Pod', pod);
  t.equal(fields['spec.hostNetwork'], 'true');
  t.equal(fields['status.podIP'], '10.0.0.5');
  t.equal(fields['metadata.namespace'], 'default');
  t.equal(resourceFieldSelector('status.phase=Running,spec.nodeName=node01', target('', 'Pod'))(pod), true);
  t.equal(resourceFieldSelector('status.phase!=Running', target('', 'Pod'))(pod), false);
  t.equal(resourceFieldSelector('status.nominatedNodeName=', target('', 'Pod'))(pod), true, 'absent field reads as empty');
});

t.test('event fields as kubectl describe asks for them', async (t) => {
  const matcher = resourceFieldSelector(
    'involvedObject.name=web,involvedObject.namespace=default,involvedObject.kind=Deployment,involvedObject.uid=u-1',
    target('', 'Event'),
  );
  t.equal(matcher(event), true);
  t.equal(fieldsForKind('Event', event).source, 'deployment-controller', 'source falls back to the reporting controller');
});

t.test('events.k8s.io/v1 labels name its own fields and select on the stored core/v1 Event', async (t) => {
  const events = target('events.k8s.io', 'Event');
  t.equal(
    resourceFieldSelector('regarding.name=web,regarding.uid=u-1,reportingController=deployment-controller,type=Normal', events)(event),
    true,
  );
  t.equal(resourceFieldSelector('regarding.kind=Pod', events)(event), false);
  t.equal(resourceFieldSelector('source=deployment-controller,metadata.name=e1', events)(event), true);
  t.equal(
    badRequest(() => resourceFieldSelector('involvedObject.name=web', events)),
    'field label not supported: involvedObject.name',
  );
  t.equal(
    badRequest(() => resourceFieldSelector('note=x', events)),
    'field label not supported: note',
  );
});

t.test('other kinds', async (t) => {
  t.equal(fieldsForKind('Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: {} })['spec.unschedulable'], 'false');
  t.equal(fieldsForKind('Secret', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque' }).type, 'Opaque');
  t.equal(
    fieldsForKind('ReplicaSet', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, status: { replicas: 3 } })[
      'status.replicas'
    ],
    '3',
  );
  t.equal(
    fieldsForKind('Job', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { succeeded: 1 } })['status.successful'],
    '1',
  );
  t.equal(
    fieldsForKind('Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' }, status: { phase: 'Active' } })[
      'status.phase'
    ],
    'Active',
  );
});

t.test('unsupported fields are rejected with the apiserver wording', async (t) => {
  t.equal(
    badRequest(() => resourceFieldSelector('spec.foo=x', target('', 'Pod'))),
    'field label not supported: spec.foo',
  );
  t.equal(
    badRequest(() => resourceFieldSelector('metadata.namespace=x', target('', 'Node', false))),
    'field label not supported: metadata.namespace',
  );
  t.equal(
    badRequest(() => resourceFieldSelector('spec.replicas=1', target('apps', 'Deployment'))),
    '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
  );
  t.equal(
    badRequest(() => resourceFieldSelector('status.phase=Running', target('kubevirt.io', 'VirtualMachineInstance', true, true))),
    'field label not supported: status.phase',
  );
  t.equal(
    badRequest(() => resourceFieldSelector('metadata.namespace=a', target('kubevirt.io', 'KubeVirtCluster', false, true))),
    'field label not supported: metadata.namespace',
  );
  const vmi: KubeObject = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm1', namespace: 'ns' } };
  t.equal(resourceFieldSelector('metadata.name=vm1', target('kubevirt.io', 'VirtualMachineInstance', true, true))(vmi), true);
});

t.test('generic matcher', async (t) => {
  const matcher = fieldSelectorMatcher('x=1', (o) => ({ x: String((o.spec as { x: number }).x) }));
  t.equal(matcher({ apiVersion: 'v1', kind: 'K', metadata: {}, spec: { x: 1 } }), true);
  t.equal(matcher({ apiVersion: 'v1', kind: 'K', metadata: {}, spec: { x: 2 } }), false);
});
