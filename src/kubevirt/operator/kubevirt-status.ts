/** The KubeVirt CR as the operator reads and writes it. */
import type { KubeObject } from '../../api/types.js';
import type { KubeVirtCondition } from './conditions.js';
import type { KubeVirtSpec } from './feature-gates.js';

export type KubeVirtPhase = 'Deploying' | 'Deployed' | 'Deleting' | 'Deleted';

export interface GenerationStatus {
  group: string;
  resource: string;
  namespace?: string;
  name: string;
  lastGeneration: number;
}

export interface KubeVirtStatus {
  phase?: KubeVirtPhase;
  conditions?: KubeVirtCondition[];
  operatorVersion?: string;
  targetKubeVirtVersion?: string;
  targetKubeVirtRegistry?: string;
  targetDeploymentID?: string;
  targetDeploymentConfig?: string;
  observedKubeVirtVersion?: string;
  observedKubeVirtRegistry?: string;
  observedDeploymentID?: string;
  observedDeploymentConfig?: string;
  observedGeneration?: number;
  defaultArchitecture?: string;
  outdatedVirtualMachineInstanceWorkloads?: number;
  generations?: GenerationStatus[];
}

export interface KubeVirt extends KubeObject {
  spec?: KubeVirtSpec;
  status?: KubeVirtStatus;
}

/** Which objects status.generations tracks, by kind: [group (as the operator writes it, sic), resource]. */
const TRACKED: Record<string, [string, string]> = {
  CustomResourceDefinition: ['apiextensions.k8s.io/v1', 'customresourcedefinitions'],
  ValidatingWebhookConfiguration: ['admissionregistration.k8s.io', 'validatingwebhookconfigurations'],
  MutatingWebhookConfiguration: ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations'],
  Deployment: ['apps', 'deployments'],
  DaemonSet: ['apps', 'daemonsets'],
  PodDisruptionBudget: ['apps', 'poddisruptionbudgets'],
};

/** Records the stored object's generation; entries keep their first (creation) position. */
export function recordGeneration(generations: GenerationStatus[], stored: KubeObject): GenerationStatus[] {
  const tracked = TRACKED[stored.kind];
  if (!tracked) return generations;
  const [group, resource] = tracked;
  const entry: GenerationStatus = { group, resource, name: stored.metadata.name ?? '', lastGeneration: stored.metadata.generation ?? 1 };
  if (stored.metadata.namespace) entry.namespace = stored.metadata.namespace;
  const same = (g: GenerationStatus): boolean =>
    g.group === group && g.resource === resource && g.name === entry.name && g.namespace === entry.namespace;
  return generations.some(same)
    ? generations.map((g) => (same(g) ? { ...g, lastGeneration: entry.lastGeneration } : g))
    : [...generations, entry];
}
