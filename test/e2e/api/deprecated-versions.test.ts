/**
 * A CRD version marked `deprecated` answers every request with a Warning
 * header, which kubectl prints: the CRD's own `deprecationWarning`, or
 * apiextensions-apiserver's default "<group>/<version> <Kind> is deprecated".
 */
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';

const crd = JSON.stringify({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
      {
        name: 'v1beta1',
        served: true,
        storage: false,
        deprecated: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
      {
        name: 'v1alpha1',
        served: true,
        storage: false,
        deprecated: true,
        deprecationWarning: 'example.com/v1alpha1 is gone soon; use v1',
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
});

t.test('kubectl prints the warning of a deprecated CRD version, and none for the served stable one', async (t) => {
  const { kubectl } = await withEmulator(t, { workers: 0 });
  t.equal((await kubectl(['create', '-f', '-'], { input: crd })).code, 0);
  t.equal((await kubectl(['wait', 'crd/gadgets.example.com', '--for', 'condition=Established', '--timeout=10s'])).code, 0);

  const created = await kubectl(['create', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'example.com/v1beta1', kind: 'Gadget', metadata: { name: 'g1', namespace: 'default' } }),
  });
  t.equal(created.code, 0, created.stderr);
  t.match(created.stderr, 'Warning: example.com/v1beta1 Gadget is deprecated');

  const custom = await kubectl(['get', 'gadgets.v1alpha1.example.com', 'g1']);
  t.equal(custom.code, 0, custom.stderr);
  t.match(custom.stderr, 'Warning: example.com/v1alpha1 is gone soon; use v1');

  const stable = await kubectl(['get', 'gadgets.v1.example.com', 'g1']);
  t.equal(stable.code, 0, stable.stderr);
  t.notMatch(stable.stderr, 'Warning');
});
