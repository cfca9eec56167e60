/**
 * What a kind cluster's nodes look like: names, labels, the control-plane
 * taint, pod CIDRs from 10.244.0.0/16, addresses on the docker network
 * 172.18.0.0/16, and the machine a kindest/node container reports.
 */
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { randomHex, randomUuid } from './ids.js';
import { TAINT_CONTROL_PLANE, type Node, type NodeStatus } from '../../kube/nodes.js';

export const CLUSTER_NAME = 'kubevirt-emulator';
export const CONTROL_PLANE_NODE = `${CLUSTER_NAME}-control-plane`;
/** The kubelet version; kept equal to the API server's default /version. */
export const KUBELET_VERSION = 'v1.32.3';
export const KUBELET_PORT = 10250;

/** Where a node sits in the cluster's address plan. */
export interface NodeIdentity {
  name: string;
  internalIP: string;
  podCIDR: string;
}

/** kind's worker names: "-worker", "-worker2", "-worker3", ... */
/** Whether a node is one of those an emulator with this --node-prefix adds and simulates. */
export const ownedByPrefix =
  (prefix: string) =>
  (nodeName: string): boolean =>
    nodeName.startsWith(`${prefix}-`);

export const workerName = (ordinal: number, prefix = CLUSTER_NAME): string => `${prefix}-worker${ordinal === 1 ? '' : ordinal}`;

/** The n-th node of the address plan (0 is the control plane): 172.18.0.(n+2) and 10.244.n.0/24. */
export const identityAt = (name: string, index: number): NodeIdentity => ({
  name,
  internalIP: `172.18.0.${index + 2}`,
  podCIDR: `10.244.${index}.0/24`,
});

/** A node's hardware as the kubelet reports it: a kindest/node container sees its host. */
export const defaultCapacity: Record<string, string> = {
  cpu: '8',
  'ephemeral-storage': '102626232Ki',
  'hugepages-1Gi': '0',
  'hugepages-2Mi': '0',
  memory: '32823596Ki',
  pods: '110',
};

/** The machine facts of one node; the ids come from the seeded random source so runs repeat. */
export function nodeInfo(random: SeededRandom): Record<string, string> {
  return {
    architecture: 'amd64',
    bootID: randomUuid(random),
    containerRuntimeVersion: 'containerd://1.7.24',
    kernelVersion: '6.8.0-51-generic',
    kubeletVersion: KUBELET_VERSION,
    machineID: randomHex(random, 32),
    operatingSystem: 'linux',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    systemUUID: randomUuid(random),
  };
}

/** The labels kubelet and kubeadm put on a node of this name. */
export function nodeLabels(name: string, controlPlane: boolean): Record<string, string> {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
  };
  if (controlPlane) {
    labels[TAINT_CONTROL_PLANE] = '';
    labels['node.kubernetes.io/exclude-from-external-load-balancers'] = '';
  }
  return labels;
}

/** The Node object the kubelet registers (kubeadm then adds the control-plane label and taint). */
export function registeredNode(identity: NodeIdentity, controlPlane: boolean, status: NodeStatus): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: identity.name,
      labels: nodeLabels(identity.name, controlPlane),
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: identity.podCIDR,
      podCIDRs: [identity.podCIDR],
      providerID: providerID(identity.name),
      ...(controlPlane ? { taints: [{ key: TAINT_CONTROL_PLANE, effect: 'NoSchedule' as const }] } : {}),
    },
    status,
  };
}

export const providerID = (name: string): string => `kind://docker/${CLUSTER_NAME}/${name}`;
