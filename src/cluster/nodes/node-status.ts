/**
 * The node status a healthy kubelet posts (pkg/kubelet/nodestatus setters):
 * capacity, the pressure and Ready conditions with kubelet's reasons and
 * messages, addresses, the kubelet endpoint and the machine's facts.
 */
import { rfc3339 } from '../../runtime/clock.js';
import { defaultCapacity, KUBELET_PORT, type NodeIdentity } from './node-template.js';
import { timeMs, type ConditionStatus, type Node, type NodeCondition, type NodeStatus } from '../../kube/nodes.js';

/** kubelet's nodeStatusReportFrequency: an unchanged status is posted again after this long. */
export const NODE_STATUS_REPORT_MS = 5 * 60_000;

interface ConditionTemplate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

const HEALTHY: ConditionTemplate[] = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

/** The Node events the kubelet records when a condition becomes healthy: "Node x status is now: NodeReady". */
export const HEALTHY_EVENT_REASONS: Record<string, string> = {
  MemoryPressure: 'NodeHasSufficientMemory',
  DiskPressure: 'NodeHasNoDiskPressure',
  PIDPressure: 'NodeHasSufficientPID',
  Ready: 'NodeReady',
};

const sameCondition = (a: NodeCondition | undefined, b: ConditionTemplate): boolean =>
  a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message;

/** The conditions that are not (yet) as the kubelet posts them; empty when the node reports healthy. */
export function staleConditions(node: Node): string[] {
  return HEALTHY.filter(
    (t) =>
      !sameCondition(
        node.status?.conditions?.find((c) => c.type === t.type),
        t,
      ),
  ).map((t) => t.type);
}

/** Whether the kubelet has something to post: a condition to correct, or the report interval has passed. */
export function needsStatusUpdate(node: Node, nowMs: number): boolean {
  if (staleConditions(node).length > 0 || !node.status?.nodeInfo?.kubeletVersion || !node.status.addresses?.length) return true;
  const heartbeat = timeMs(node.status.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime);
  return heartbeat === undefined || nowMs - heartbeat >= NODE_STATUS_REPORT_MS;
}

/**
 * The status to post now. Capacity and machine facts already on the Node
 * stay (a Node applied with its own capacity keeps it); conditions keep their
 * transition time unless their status changes.
 */
export function kubeletNodeStatus(node: Node | undefined, identity: NodeIdentity, machine: Record<string, string>, now: Date): NodeStatus {
  const existing = node?.status ?? {};
  const heartbeat = rfc3339(now);
  const conditions = HEALTHY.map((t): NodeCondition => {
    const old = existing.conditions?.find((c) => c.type === t.type);
    return {
      type: t.type,
      status: t.status,
      lastHeartbeatTime: heartbeat,
      lastTransitionTime: old?.status === t.status && old.lastTransitionTime ? old.lastTransitionTime : heartbeat,
      reason: t.reason,
      message: t.message,
    };
  });
  const capacity = existing.capacity ?? defaultCapacity;
  return {
    ...existing,
    capacity,
    allocatable: existing.allocatable ?? capacity,
    conditions: [...conditions, ...(existing.conditions ?? []).filter((c) => !HEALTHY.some((t) => t.type === c.type))],
    addresses: [
      { type: 'InternalIP', address: identity.internalIP },
      { type: 'Hostname', address: identity.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
    nodeInfo: { ...machine, ...(existing.nodeInfo ?? {}), kubeletVersion: machine.kubeletVersion },
    images: existing.images ?? [],
    runtimeHandlers: existing.runtimeHandlers ?? [
      { name: 'runc', features: { recursiveReadOnlyMounts: true, userNamespaces: true } },
      { name: '', features: { recursiveReadOnlyMounts: true, userNamespaces: true } },
    ],
  };
}
