/**
 * Which operands an install wants, and the spec-driven changes to them
 * (feature gates, replicas, pull policy). Everything else about an operand
 * comes verbatim from the rendered strategy.
 */
import type { KubeObject } from '../../../api/types.js';
import { deepFreeze } from '../../../runtime/deep-freeze.js';
import { isGateEnabled, type KubeVirtSpec } from '../feature-gates.js';
import { memoizeByText } from '../memo.js';
import { renderTemplate, withOperatorMetadata, type RenderTarget } from './templating.js';
import { strategyData } from './strategy-data.js';

export interface DesiredState {
  crds: KubeObject[];
  /** Operands in the strategy's creation order. */
  operands: KubeObject[];
  instancetypes: KubeObject[];
}

export interface SelectionInputs {
  spec: KubeVirtSpec;
  target: RenderTarget;
  /** Replicas of virt-api from the schedulable node count (see `virtApiReplicas`). */
  virtApiReplicas: number;
}

const TEMPLATE_GROUP = 'template.kubevirt.io';
const INFRA_DEPLOYMENTS = new Set(['virt-api', 'virt-controller', 'virt-exportproxy', 'virt-synchronization-controller']);
const NAD_RULE = { apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['get'] };

/** virt-api replicas: 1 on a single schedulable node, otherwise max(2, nodes/10) (`spec.infra.replicas` wins). */
export function virtApiReplicas(spec: KubeVirtSpec, schedulableNodes: number): number {
  if (spec.infra?.replicas !== undefined) return spec.infra.replicas;
  return schedulableNodes === 1 ? 1 : Math.max(2, Math.floor(schedulableNodes / 10));
}

const isVirtTemplateObject = (obj: KubeObject): boolean => {
  const name = obj.metadata.name ?? '';
  return name.startsWith('virt-template') || name.startsWith('kubevirt-virt-template-') || name.endsWith(`.${TEMPLATE_GROUP}`);
};

/** Operands that exist only under a condition; true when the condition holds. */
function conditionHolds(obj: KubeObject, spec: KubeVirtSpec, apiReplicas: number): boolean {
  const name = obj.metadata.name ?? '';
  if (isVirtTemplateObject(obj)) return isGateEnabled(spec, 'Template') && spec.configuration?.virtTemplateDeployment?.enabled !== false;
  if (name.startsWith('virt-synchronization-controller') && (obj.kind === 'Deployment' || obj.kind === 'PodDisruptionBudget')) {
    return isGateEnabled(spec, 'DecentralizedLiveMigration');
  }
  if (name === 'virt-launcher-pod-mutator') return isGateEnabled(spec, 'ContainerPathVolumes');
  if (name.startsWith('kubevirt-plugin-')) return isGateEnabled(spec, 'Plugins');
  // The monitoring objects need a Prometheus operator and its namespace, which the emulated cluster has not.
  if (name === 'kubevirt-monitoring' || obj.kind === 'ServiceMonitor' || obj.kind === 'PrometheusRule') return false;
  if (name === 'virt-api-pdb') return apiReplicas >= 2;
  return true;
}

function replicasFor(obj: KubeObject, spec: KubeVirtSpec, apiReplicas: number): number | undefined {
  const name = obj.metadata.name ?? '';
  if (name === 'virt-api' || name === 'virt-api-pdb') return apiReplicas;
  const deployment = name.replace(/-pdb$/, '');
  if (INFRA_DEPLOYMENTS.has(deployment) && spec.infra?.replicas !== undefined) return spec.infra.replicas;
  return undefined;
}

/** Spec-driven edits of one rendered operand. */
function customize(obj: KubeObject, spec: KubeVirtSpec, apiReplicas: number): KubeObject {
  const replicas = replicasFor(obj, spec, apiReplicas);
  const body = structuredClone(obj) as KubeObject & {
    spec?: { replicas?: number; minAvailable?: number; template?: { spec?: { containers?: Array<{ imagePullPolicy?: string }> } } };
    rules?: unknown[];
  };
  if (replicas !== undefined && obj.kind === 'Deployment' && body.spec) body.spec.replicas = replicas;
  if (replicas !== undefined && obj.kind === 'PodDisruptionBudget' && body.spec) body.spec.minAvailable = replicas - 1;
  if (spec.imagePullPolicy && (obj.kind === 'Deployment' || obj.kind === 'DaemonSet') && !isVirtTemplateObject(obj)) {
    for (const container of body.spec?.template?.spec?.containers ?? []) container.imagePullPolicy = spec.imagePullPolicy;
  }
  if (obj.kind === 'ClusterRole' && obj.metadata.name === 'kubevirt-controller' && !isGateEnabled(spec, 'ExternalNetResourceInjection')) {
    body.rules = [...(body.rules ?? []), NAD_RULE];
  }
  if (isGateEnabled(spec, 'OptOutRoleAggregation') && spec.configuration?.roleAggregationStrategy === 'Manual') {
    const labels = body.metadata.labels ?? {};
    for (const key of Object.keys(labels)) if (key.startsWith('rbac.authorization.k8s.io/aggregate-to-')) labels[key] = 'false';
  }
  return body;
}

/** States remembered: an upgrade's two, with room to spare. */
const REMEMBERED_STATES = 4;

/**
 * The desired state for the inputs, the same (frozen) objects for the same inputs: virt-operator reconciles every
 * few seconds and on every change of what it manages, and rendering the strategy's ~200 objects each time cost more
 * than the rest of a reconcile; the applier and the strategy ConfigMap remember their work by these objects.
 */
export const desiredState = (inputs: SelectionInputs): DesiredState => rememberedStates(JSON.stringify(inputs));

const rememberedStates = memoizeByText(
  (inputsJson) => deepFreeze(renderDesiredState(JSON.parse(inputsJson) as SelectionInputs)),
  REMEMBERED_STATES,
);

function renderDesiredState({ spec, target, virtApiReplicas: apiReplicas }: SelectionInputs): DesiredState {
  const data = strategyData();
  const operands = data.operands
    .filter((template) => conditionHolds(template, spec, apiReplicas))
    .map((template) => customize(renderTemplate(template, target), spec, apiReplicas));
  const crds = data.crds.filter((crd) => conditionHolds(crd, spec, apiReplicas)).map((crd) => withOperatorMetadata(crd, target));
  const instancetypesOn = spec.configuration?.commonInstancetypesDeployment?.enabled !== false;
  const instancetypes = instancetypesOn ? [...data.instancetypes, ...data.preferences].map((obj) => withOperatorMetadata(obj, target)) : [];
  return { crds, operands, instancetypes };
}
