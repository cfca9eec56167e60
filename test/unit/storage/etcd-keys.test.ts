// kube-apiserver's etcd key layout, both ways.
import t from 'tap';
import { EtcdKeyLayout } from '../../../src/storage/etcd-keys.js';

const builtins = [
  '/pods',
  '/nodes',
  '/services',
  '/endpoints',
  '/replicationcontrollers',
  'apps/deployments',
  'networking.k8s.io/ingresses',
  'coordination.k8s.io/leases',
  'apiextensions.k8s.io/customresourcedefinitions',
];
const layout = new EtcdKeyLayout('/registry', builtins);

t.test('keys as kube-apiserver writes them', async (t) => {
  const cases: [string, string, string, string][] = [
    ['/pods', 'default', 'web', '/registry/pods/default/web'],
    ['/nodes', '', 'node1', '/registry/minions/node1'],
    ['/services', 'default', 'kubernetes', '/registry/services/specs/default/kubernetes'],
    ['/endpoints', 'default', 'kubernetes', '/registry/services/endpoints/default/kubernetes'],
    ['/replicationcontrollers', 'ns', 'rc', '/registry/controllers/ns/rc'],
    ['apps/deployments', 'ns', 'd', '/registry/deployments/ns/d'],
    ['networking.k8s.io/ingresses', 'ns', 'i', '/registry/ingress/ns/i'],
    ['coordination.k8s.io/leases', 'kube-system', 'kube-scheduler', '/registry/leases/kube-system/kube-scheduler'],
    [
      'apiextensions.k8s.io/customresourcedefinitions',
      '',
      'vms.kubevirt.io',
      '/registry/apiextensions.k8s.io/customresourcedefinitions/vms.kubevirt.io',
    ],
    ['kubevirt.io/virtualmachines', 'default', 'vm1', '/registry/kubevirt.io/virtualmachines/default/vm1'],
  ];
  for (const [storageKey, namespace, name, key] of cases) {
    t.equal(layout.keyOf({ storageKey, namespace, name }), key);
    t.same(layout.objectKeyOf(key), { storageKey, namespace, name }, `${key} read back`);
  }
});

t.test('a custom resource never written by this process is read back from its key', async (t) => {
  const fresh = new EtcdKeyLayout('/registry/', builtins);
  t.same(fresh.objectKeyOf('/registry/cdi.kubevirt.io/datavolumes/ns/dv'), {
    storageKey: 'cdi.kubevirt.io/datavolumes',
    namespace: 'ns',
    name: 'dv',
  });
  t.same(fresh.objectKeyOf('/registry/minions/n'), { storageKey: '/nodes', namespace: '', name: 'n' });
  t.equal(fresh.objectKeyOf('/other/pods/a/b'), undefined, 'keys outside the prefix are not ours');
});
