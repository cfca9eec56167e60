/** Small builders of Node and Pod objects for the scheduling tests. */
import type { ClusterSnapshot, NodeInfo } from '../../../../src/cluster/scheduling/filters.js';
import type { Node, Pod } from '../../../../src/cluster/scheduling/objects.js';

export function node(
  name: string,
  extra: {
    labels?: Record<string, string>;
    taints?: NonNullable<Node['spec']>['taints'];
    unschedulable?: boolean;
    allocatable?: Record<string, string>;
    ready?: 'True' | 'False' | 'Unknown';
  } = {},
): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.labels } },
    spec: { taints: extra.taints, unschedulable: extra.unschedulable },
    status: {
      allocatable: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi', ...extra.allocatable },
      conditions: [{ type: 'Ready', status: extra.ready ?? 'True' }],
    },
  };
}

export function pod(name: string, spec: Pod['spec'] = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...meta },
    spec: { containers: [{ name: 'c' }], ...spec },
  };
}

export const requesting = (requests: Record<string, string>): Pod['spec'] => ({ containers: [{ name: 'c', resources: { requests } }] });

export function snapshot(...infos: NodeInfo[]): ClusterSnapshot {
  return { nodes: infos, namespaceLabels: (ns) => ({ 'kubernetes.io/metadata.name': ns }) };
}
