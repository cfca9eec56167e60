/**
 * Golden comparison: what virt-operator deployed against operands.yaml and
 * crds/. Identity, labels, annotation keys, RBAC rules, webhooks, services
 * and containers must match; certificate data, IDs and timestamps only in shape.
 */
import t from 'tap';
import type { KubeObject } from '../../../../src/api/types.js';
import { strategyData } from '../../../../src/kubevirt/operator/install-strategy/strategy-data.js';
import { applyAll, KUBEVIRT_REF, manifest, startHarness, tryGet } from './operator-harness.js';

/** Paths where `actual` lacks or differs from `expected` (extra server defaults in `actual` are fine). */
function differences(expected: unknown, actual: unknown, path = ''): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return [`${path}: expected ${expected.length} items, got ${JSON.stringify(actual)?.slice(0, 80)}`];
    return expected.flatMap((item, i) => differences(item, actual[i], `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return [`${path}: missing`];
    return Object.entries(expected).flatMap(([key, value]) =>
      differences(value, (actual as Record<string, unknown>)[key], `${path}.${key}`),
    );
  }
  return String(expected) === String(actual) ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

const ID_ANNOTATION = 'kubevirt.io/install-strategy-identifier';

/**
 * The parts compared exactly (labels, annotations, everything but metadata,
 * status and data); the deployment ID, caBundles and Secret data are runtime
 * values, checked by shape instead.
 */
function comparable(obj: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, data: _data, ...rest } = obj;
  const body = JSON.parse(
    JSON.stringify(rest, (key, value) => (key === 'caBundle' || key === ID_ANNOTATION ? undefined : value)),
  ) as Record<string, unknown>;
  const annotations = Object.fromEntries(Object.entries(obj.metadata.annotations ?? {}).filter(([key]) => key !== ID_ANNOTATION));
  return { labels: obj.metadata.labels ?? {}, annotations, ...body };
}

t.test('deployed operands match operands.yaml and crds/', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.stop());
  const { client, waitFor } = h;
  await applyAll(client, manifest('kubevirt-operator.yaml'));
  await applyAll(client, manifest('kubevirt-cr.yaml'));
  const kv = await waitFor(
    'Deployed',
    async () => {
      const current = await client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt');
      return (current.status as { phase?: string } | undefined)?.phase === 'Deployed' ? current : undefined;
    },
    60_000,
  );
  const deploymentId = (kv.status as { targetDeploymentID: string }).targetDeploymentID;
  const data = strategyData();
  // Conditional operands that a default install on this cluster does not create.
  const conditional = new Set([
    'virt-synchronization-controller',
    'virt-synchronization-controller-pdb',
    'virt-launcher-pod-mutator',
    'kubevirt-monitoring',
    'virt-api-pdb',
    'prometheus-kubevirt-rules',
  ]);
  const expected = data.operands.filter(
    (obj) => !conditional.has(obj.metadata.name ?? '') && !(obj.metadata.name ?? '').startsWith('kubevirt-plugin-'),
  );
  const problems: string[] = [];
  for (const template of expected) {
    const ref = { apiVersion: template.apiVersion, kind: template.kind };
    const actual = await tryGet(client, ref, template.metadata.namespace, template.metadata.name ?? '');
    const where = `${template.kind}/${template.metadata.name}`;
    if (!actual) {
      problems.push(`${where}: not deployed`);
      continue;
    }
    if (actual.metadata.annotations?.[ID_ANNOTATION] !== deploymentId)
      problems.push(`${where}: identifier annotation is not the deployment ID`);
    if (/caBundle/.test(JSON.stringify(template)) && !/"caBundle":"[A-Za-z0-9+/=]{100,}"/.test(JSON.stringify(actual)))
      problems.push(`${where}: caBundle is not a base64 bundle`);
    const expectedBody = comparable(template);
    // virt-api runs 1 replica on a single schedulable node; the generator's 2 is replaced at sync.
    if (template.kind === 'Deployment' && template.metadata.name === 'virt-api')
      delete (expectedBody.spec as Record<string, unknown>).replicas;
    problems.push(...differences(expectedBody, comparable(actual)).map((d) => `${where}${d}`));
    if (template.kind === 'Secret') {
      const secretData = (actual as { data?: Record<string, string> }).data ?? {};
      if (!/BEGIN CERTIFICATE/.test(Buffer.from(secretData['tls.crt'] ?? '', 'base64').toString()))
        problems.push(`${where}: tls.crt is not a PEM certificate`);
    }
  }
  for (const crd of data.crds) {
    const actual = await tryGet(
      client,
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
      undefined,
      crd.metadata.name ?? '',
    );
    if (!actual) problems.push(`CRD ${crd.metadata.name}: not deployed`);
    else problems.push(...differences(crd.spec, actual.spec, `CRD ${crd.metadata.name}.spec`));
  }
  t.same(problems, [], 'no differences');
});
