import t from 'tap';
import { OpenApiService } from '../../../src/server/openapi/service.js';
import type { KubeObject } from '../../../src/api/types.js';
import { projectYaml } from '../../helpers/project-yaml.js';

type Json = Record<string, any>;

const crd = (file: string): KubeObject => projectYaml(new URL(`../../../schemas/kubevirt/crds/${file}`, import.meta.url)) as KubeObject;
const kubevirtCrd = crd('kubevirts.kubevirt.io.yaml');

t.test('index lists built-in and CRD group-versions with their hash', async (t) => {
  const service = new OpenApiService(['v1', 'apps/v1']);
  service.setCustomResourceDefinitions([kubevirtCrd]);
  const index = service.index();
  t.same(Object.keys(index.paths), ['api/v1', 'apis/apps/v1', 'apis/kubevirt.io/v1', 'apis/kubevirt.io/v1alpha3']);
  const apps = service.document('apis/apps/v1')!;
  t.equal(index.paths['apis/apps/v1'].serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${apps.hash}`);
  t.match(apps.hash, /^[0-9A-F]{128}$/);
  t.equal(service.document('apis/apps/v1'), apps, 'the serialized document is cached');
  t.equal(service.document('apis/nosuch/v1'), undefined);
});

t.test('apps/v1 document is a v3 conversion of the swagger', async (t) => {
  const doc = JSON.parse(new OpenApiService(['apps/v1']).document('apis/apps/v1')!.body) as Json;
  t.equal(doc.openapi, '3.0.0');
  t.notOk(
    Object.keys(doc.paths).some((p) => !p.startsWith('/apis/apps/v1')),
    'only apps/v1 paths',
  );
  const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  const patch = item.patch;
  t.same(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  t.equal(patch['x-kubernetes-action'], 'patch');
  t.match(
    patch.parameters.find((p: Json) => p.name === 'fieldValidation'),
    { in: 'query', schema: { type: 'string' } },
  );
  t.ok(patch.requestBody.content['application/strategic-merge-patch+json'], 'strategic merge offered');
  t.equal(
    patch.requestBody.content['application/merge-patch+json'].schema.$ref,
    '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
  );
  t.equal(patch.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.apps.v1.Deployment');
  t.same(
    item.parameters.map((p: Json) => p.name),
    ['name', 'namespace', 'pretty'],
  );
  const schemas = doc.components.schemas;
  t.ok(schemas['io.k8s.api.apps.v1.Deployment']);
  t.ok(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'], 'transitively reachable schemas');
  t.notOk(schemas['io.k8s.api.core.v1.Node'], 'unreachable schemas left out');
  t.notMatch(JSON.stringify(doc), /#\/definitions\//);
});

t.test('api/v1 document has the core paths and PATCH with fieldValidation', async (t) => {
  const doc = JSON.parse(new OpenApiService(['v1']).document('api/v1')!.body) as Json;
  const patch = doc.paths['/api/v1/namespaces/{name}'].patch;
  t.same(patch['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Namespace' });
  t.ok(patch.parameters.some((p: Json) => p.name === 'fieldValidation'));
  t.ok(patch.requestBody.content['application/strategic-merge-patch+json']);
  t.ok(doc.components.schemas['io.k8s.api.core.v1.Pod']);
});

t.test('KubeVirt CRD document', async (t) => {
  const service = new OpenApiService([]);
  service.setCustomResourceDefinitions([kubevirtCrd]);
  const doc = JSON.parse(service.document('apis/kubevirt.io/v1')!.body) as Json;
  const ns = '/apis/kubevirt.io/v1/namespaces/{namespace}/kubevirts';
  t.same(Object.keys(doc.paths).sort(), ['/apis/kubevirt.io/v1/kubevirts', ns, `${ns}/{name}`, `${ns}/{name}/status`].sort());
  t.same(
    Object.keys(doc.paths[ns])
      .filter((k) => k !== 'parameters')
      .sort(),
    ['delete', 'get', 'post'],
  );
  t.same(
    Object.keys(doc.paths[`${ns}/{name}`])
      .filter((k) => k !== 'parameters')
      .sort(),
    ['delete', 'get', 'patch', 'put'],
  );
  for (const item of Object.values(doc.paths) as Json[]) {
    for (const [method, op] of Object.entries(item)) {
      if (method !== 'parameters')
        t.same((op as Json)['x-kubernetes-group-version-kind'], { group: 'kubevirt.io', version: 'v1', kind: 'KubeVirt' }, method);
    }
  }
  const patch = doc.paths[`${ns}/{name}`].patch;
  t.same(patch.parameters.map((p: Json) => p.name).sort(), ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
  t.same(Object.keys(patch.requestBody.content), [
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/apply-patch+yaml',
  ]);
  t.equal(patch.operationId, 'patchKubevirtIoV1NamespacedKubeVirt');
  t.same(patch.tags, ['kubevirtIo_v1']);
  const schema = doc.components.schemas['io.kubevirt.v1.KubeVirt'];
  t.same(schema['x-kubernetes-group-version-kind'], [{ group: 'kubevirt.io', kind: 'KubeVirt', version: 'v1' }]);
  t.equal(schema.properties.metadata.$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  t.match(schema.properties.spec.properties.configuration.description, /holds kubevirt configurations/i);
  t.ok(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'], 'ObjectMeta included');
  t.ok(doc.components.schemas['io.kubevirt.v1.KubeVirtList']);
});

t.test('CRD documents follow CRD changes', async (t) => {
  const service = new OpenApiService([]);
  service.setCustomResourceDefinitions([kubevirtCrd]);
  const first = service.document('apis/kubevirt.io/v1')!;
  service.setCustomResourceDefinitions([kubevirtCrd]);
  t.equal(service.document('apis/kubevirt.io/v1'), first, 'same CRD objects: cached document kept');
  const vm = crd('virtualmachines.kubevirt.io.yaml');
  service.setCustomResourceDefinitions([kubevirtCrd, vm]);
  const second = service.document('apis/kubevirt.io/v1')!;
  t.not(second.hash, first.hash);
  t.ok(JSON.parse(second.body).paths['/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachines/{name}']);
  service.setCustomResourceDefinitions([]);
  t.equal(service.document('apis/kubevirt.io/v1'), undefined);
  t.same(service.index().paths, {});
});

t.test('scale subresource and cluster scope', async (t) => {
  const pool = crd('virtualmachinepools.pool.kubevirt.io.yaml');
  const clusterType = crd('virtualmachineclusterinstancetypes.instancetype.kubevirt.io.yaml');
  const service = new OpenApiService([]);
  service.setCustomResourceDefinitions([pool, clusterType]);
  const poolDoc = JSON.parse(
    service.document(`apis/pool.kubevirt.io/${(pool as Json).spec.versions.find((v: Json) => v.storage).name}`)!.body,
  ) as Json;
  const scalePath = Object.keys(poolDoc.paths).find((p) => p.endsWith('/scale'))!;
  t.ok(scalePath);
  t.equal(
    poolDoc.paths[scalePath].get.responses['200'].content['application/json'].schema.$ref,
    '#/components/schemas/io.k8s.api.autoscaling.v1.Scale',
  );
  t.ok(poolDoc.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
  const ctVersion = (clusterType as Json).spec.versions.find((v: Json) => v.served).name;
  const ctDoc = JSON.parse(service.document(`apis/instancetype.kubevirt.io/${ctVersion}`)!.body) as Json;
  const item = ctDoc.paths[`/apis/instancetype.kubevirt.io/${ctVersion}/virtualmachineclusterinstancetypes/{name}`];
  t.ok(item, 'cluster-scoped item path');
  t.same(
    item.parameters.map((p: Json) => p.name),
    ['name', 'pretty'],
  );
});
