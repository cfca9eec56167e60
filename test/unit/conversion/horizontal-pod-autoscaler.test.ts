// autoscaling/v2 <-> v1 HorizontalPodAutoscaler conversion (pkg/apis/autoscaling/v1/conversion.go): v1 keeps the CPU
// utilization target and carries every other metric spec and status in round-trip annotations whose entries use v1's
// field names (targetValue / currentValue, targetAverageValue / currentAverageValue, ...); converting back restores them.
import t from 'tap';
import type { KubeObject } from '../../../src/api/types.js';
import { horizontalPodAutoscalerConversion as conversion } from '../../../src/api/conversion/horizontal-pod-autoscaler.js';

const described = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'main-route' };
const v2: KubeObject = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 1,
    maxReplicas: 5,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'packets' }, target: { type: 'AverageValue', averageValue: '1k' } } },
      { type: 'Object', object: { describedObject: described, metric: { name: 'requests' }, target: { type: 'Value', value: '10k' } } },
      { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '30' } } },
    ],
  },
  status: {
    currentReplicas: 2,
    desiredReplicas: 3,
    currentMetrics: [
      { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70, averageValue: '700m' } } },
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '400Mi' } } },
      { type: 'External', external: { metric: { name: 'queue' }, current: { averageValue: '25' } } },
    ],
  },
};

t.test('v2 to v1: the CPU target in the spec, every other metric in annotations with v1 field names', async (t) => {
  const v1 = conversion.convert(v2, 'autoscaling/v1');
  t.same(v1.spec, { scaleTargetRef: v2.spec!.scaleTargetRef, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 });
  t.equal((v1.status as { currentCPUUtilizationPercentage?: number }).currentCPUUtilizationPercentage, 70);
  const annotations = v1.metadata.annotations ?? {};
  t.same(JSON.parse(annotations['autoscaling.alpha.kubernetes.io/metrics']), [
    { type: 'Resource', resource: { name: 'memory', targetAverageValue: '500Mi' } },
    { type: 'Pods', pods: { metricName: 'packets', targetAverageValue: '1k' } },
    { type: 'Object', object: { target: described, metricName: 'requests', targetValue: '10k' } },
    { type: 'External', external: { metricName: 'queue', targetAverageValue: '30' } },
  ]);
  // Status quantities are Go values, not pointers: an absent one is written as "0".
  t.same(JSON.parse(annotations['autoscaling.alpha.kubernetes.io/current-metrics']), [
    { type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 70, currentAverageValue: '700m' } },
    { type: 'Resource', resource: { name: 'memory', currentAverageValue: '400Mi' } },
    { type: 'External', external: { metricName: 'queue', currentValue: '0', currentAverageValue: '25' } },
  ]);
});

t.test('v1 back to v2 restores the metrics from the annotations and drops them', async (t) => {
  const back = conversion.convert(conversion.convert(v2, 'autoscaling/v1'), 'autoscaling/v2');
  t.same(back.metadata.annotations, undefined, 'no round-trip annotation is left');
  const metrics = (back.spec as { metrics: { type: string }[] }).metrics;
  t.same(
    metrics.map((m) => m.type),
    ['Resource', 'Pods', 'Object', 'External', 'Resource'],
    'the annotation metrics first, then the CPU target',
  );
  t.same(metrics[4], (v2.spec as { metrics: unknown[] }).metrics[0], 'the CPU utilization target as v2 wrote it');
});
