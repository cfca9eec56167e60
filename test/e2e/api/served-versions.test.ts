// Issue 14: every group-version a 1.32 kube-apiserver serves by default, and conversion between the served versions
// of a kind. KubeVirt's functional tests clean up with DELETE /apis/autoscaling/v1/namespaces/NS/horizontalpodautoscalers.
// The HorizontalPodAutoscaler conversion follows pkg/apis/autoscaling/v1/conversion.go: v1 keeps the CPU utilization
// target, the other metrics, metric statuses and conditions ride in autoscaling.alpha.kubernetes.io/* annotations,
// and a v1 object without a target gets the explicit 80% CPU default on the way to v2 (the storage version).
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';
import { rawClient } from '../../helpers/raw-https.js';

const hpas = (version: string) => `/apis/autoscaling/${version}/namespaces/default/horizontalpodautoscalers`;
const scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

t.test('autoscaling/v1 and v2 serve the same HorizontalPodAutoscalers, converted', async (t) => {
  const { emulator, kubeconfigPath, kubectl } = await withEmulator(t);
  const api = rawClient(emulator.url, kubeconfigPath);

  const groups = JSON.parse((await kubectl(['get', '--raw', '/apis'])).stdout).groups as {
    name: string;
    versions: { version: string }[];
    preferredVersion: { version: string };
  }[];
  const autoscaling = groups.find((g) => g.name === 'autoscaling');
  t.same(
    autoscaling?.versions.map((v) => v.version),
    ['v2', 'v1'],
    'autoscaling serves v2 and v1',
  );
  t.equal(autoscaling?.preferredVersion.version, 'v2');
  for (const gv of ['flowcontrol.apiserver.k8s.io/v1', 'storage.k8s.io/v1']) {
    t.ok(
      groups.some((g) => g.versions.some((v) => `${g.name}/${v.version}` === gv)),
      `${gv} served`,
    );
  }
  const resources = (await kubectl(['api-resources', '--api-group=flowcontrol.apiserver.k8s.io', '-o', 'name'])).stdout.trim().split('\n');
  t.same(resources.sort(), ['flowschemas.flowcontrol.apiserver.k8s.io', 'prioritylevelconfigurations.flowcontrol.apiserver.k8s.io']);

  // kubectl autoscale creates through autoscaling/v2 in 1.32; a v1 client creates with a CPU target only.
  const v1 = await api.send('POST', hpas('v1'), {
    body: {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'cpu' },
      spec: { scaleTargetRef, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 },
    },
  });
  t.equal(v1.status, 201, v1.text);
  t.equal((v1.json.spec as { targetCPUUtilizationPercentage: number }).targetCPUUtilizationPercentage, 60);
  const asV2 = await api.send('GET', `${hpas('v2')}/cpu`);
  t.equal(asV2.json.apiVersion, 'autoscaling/v2');
  t.same((asV2.json.spec as { metrics: unknown }).metrics, [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
  ]);

  const noTarget = await api.send('POST', hpas('v1'), {
    body: {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'implicit' },
      spec: { scaleTargetRef, maxReplicas: 3 },
    },
  });
  t.equal(noTarget.status, 201);
  t.equal(
    (noTarget.json.spec as { targetCPUUtilizationPercentage: number }).targetCPUUtilizationPercentage,
    80,
    'the explicit 80% default',
  );

  // A v2 object with a memory metric: v1 carries it in the metrics annotation, and a v1 write keeps it.
  const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } };
  const cpu = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } };
  const created = await kubectl(['create', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'mixed', namespace: 'default' },
      spec: { scaleTargetRef, maxReplicas: 4, metrics: [memory, cpu] },
    }),
  });
  t.equal(created.code, 0, created.stderr);
  const mixedV1 = await api.send('GET', `${hpas('v1')}/mixed`);
  const annotations = (mixedV1.json.metadata as { annotations: Record<string, string> }).annotations;
  t.equal(
    annotations['autoscaling.alpha.kubernetes.io/metrics'],
    '[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"100Mi"}}]',
    "json.Marshal of the v1 MetricSpecs, in Go's field order",
  );
  t.same(mixedV1.json.spec, { scaleTargetRef, maxReplicas: 4, targetCPUUtilizationPercentage: 50 });
  t.same(mixedV1.json.status, { currentReplicas: 0, desiredReplicas: 0 }, 'v1 always carries the replica counts');

  // kubectl patches through the preferred version whatever the resource argument names, so a v1 client is raw HTTP.
  const patched = await api.send('PATCH', `${hpas('v1')}/mixed`, {
    body: { spec: { targetCPUUtilizationPercentage: 70 } },
    headers: { 'content-type': 'application/merge-patch+json' },
  });
  t.equal(patched.status, 200, patched.text);
  const after = JSON.parse((await kubectl(['get', 'hpa.v2.autoscaling', 'mixed', '-o', 'json'])).stdout);
  t.same(after.spec.metrics, [memory, { ...cpu, resource: { ...cpu.resource, target: { type: 'Utilization', averageUtilization: 70 } } }]);
  t.equal(after.metadata.annotations, undefined, 'no round-trip annotation is left on the v2 object');

  // What broke KubeVirt's functional-test cleanup.
  const deleted = await api.send('DELETE', hpas('v1'));
  t.equal(deleted.status, 200, deleted.text);
  t.equal(deleted.json.kind, 'HorizontalPodAutoscalerList');
  t.equal((await api.send('GET', hpas('v2'))).json.items?.length, 0);

  const openapi = await api.send('GET', '/openapi/v3/apis/autoscaling/v1');
  t.equal(openapi.status, 200, 'OpenAPI v3 for autoscaling/v1');
});
