/**
 * The migration target pod (RenderMigrationManifest and createTargetPod in
 * pkg/virt-controller/watch/migration): the VMI's launcher pod as it would be
 * rendered now, marked with the migration's UID and name, restricted by the
 * migration's addedNodeSelector, and kept off every node that already runs
 * a pod of this VMI by a required pod anti-affinity on kubevirt.io/created-by.
 */
import type { Pod } from '../../../kube/pods.js';
import type { ClusterConfig } from '../cluster-config.js';
import { LABEL_CREATED_BY } from '../constants.js';
import { renderLauncherPod } from '../services/launcher-pod.js';
import { ANNOTATION_MIGRATION_JOB_NAME, LABEL_MIGRATION_JOB_UID, type Migration } from './migration-types.js';
import type { VirtualMachineInstance } from '../types.js';

interface PodAffinityTerm {
  labelSelector: { matchLabels: Record<string, string> };
  topologyKey: string;
}

interface Affinity {
  podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[]; [field: string]: unknown };
  [field: string]: unknown;
}

function withAntiAffinityToVmiPods(affinity: Affinity | undefined, vmiUid: string): Affinity {
  const term: PodAffinityTerm = { labelSelector: { matchLabels: { [LABEL_CREATED_BY]: vmiUid } }, topologyKey: 'kubernetes.io/hostname' };
  const anti = affinity?.podAntiAffinity;
  return {
    ...affinity,
    podAntiAffinity: {
      ...anti,
      requiredDuringSchedulingIgnoredDuringExecution: [...(anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []), term],
    },
  };
}

export function renderMigrationTargetPod(
  vmi: VirtualMachineInstance,
  migration: Migration,
  config: ClusterConfig,
  qemuTimeoutJitter: number,
): Pod {
  const pod = renderLauncherPod(vmi, config, qemuTimeoutJitter);
  pod.metadata.labels = { ...pod.metadata.labels, [LABEL_MIGRATION_JOB_UID]: migration.metadata.uid ?? '' };
  pod.metadata.annotations = { ...pod.metadata.annotations, [ANNOTATION_MIGRATION_JOB_NAME]: migration.metadata.name ?? '' };
  // The added selector can only narrow the choice: the template's own selectors win on a shared key.
  pod.spec.nodeSelector = { ...(migration.spec.addedNodeSelector ?? {}), ...(pod.spec.nodeSelector ?? {}) };
  pod.spec.affinity = withAntiAffinityToVmiPods(pod.spec.affinity as Affinity | undefined, vmi.metadata.uid ?? '');
  return pod;
}
