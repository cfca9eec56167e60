/**
 * Renders the strategy's template objects for one install: the version,
 * registry, deployment ID, namespace and CR generation they were written
 * for are replaced by the target's. A generic walk over every value, so a
 * new object in operands.yaml needs no code.
 */
import type { KubeObject } from '../../../api/types.js';
import { TEMPLATE_VALUES } from './strategy-data.js';

export interface RenderTarget {
  version: string;
  /** Registry the operand images come from, e.g. quay.io/kubevirt. */
  registry: string;
  deploymentId: string;
  /** The KubeVirt namespace (the operator's namespace). */
  namespace: string;
  /** metadata.generation of the KubeVirt CR, written into kubevirt.io/generation. */
  generation: number;
}

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const VERSION_ANNOTATION = 'kubevirt.io/install-strategy-version';
export const REGISTRY_ANNOTATION = 'kubevirt.io/install-strategy-registry';
export const ID_ANNOTATION = 'kubevirt.io/install-strategy-identifier';
export const GENERATION_ANNOTATION = 'kubevirt.io/generation';

function replaceAll(text: string, from: string, to: string): string {
  return from === to ? text : text.split(from).join(to);
}

function renderString(text: string, target: RenderTarget): string {
  let out = replaceAll(text, TEMPLATE_VALUES.deploymentId, target.deploymentId);
  out = replaceAll(out, `${TEMPLATE_VALUES.registry}/`, `${target.registry}/`);
  if (out === TEMPLATE_VALUES.registry) out = target.registry;
  return replaceAll(out, TEMPLATE_VALUES.version, target.version);
}

function renderValue(value: unknown, key: string, target: RenderTarget): unknown {
  if (typeof value === 'string') {
    // Namespaces appear as whole values of `namespace` keys (metadata, subjects, service references).
    if (key === 'namespace' && value === TEMPLATE_VALUES.namespace) return target.namespace;
    if (key === GENERATION_ANNOTATION) return String(target.generation);
    return renderString(value, target);
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, key, target));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, k, target)]));
  }
  return value;
}

export function renderTemplate<T extends KubeObject>(template: T, target: RenderTarget): T {
  return renderValue(template, '', target) as T;
}

/**
 * The metadata `injectOperatorMetadata` puts on objects that come without it
 * (CRDs and the common instancetypes): operator labels, the install-strategy
 * annotations and the CR generation.
 */
export function withOperatorMetadata<T extends KubeObject>(obj: T, target: RenderTarget): T {
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      labels: { ...obj.metadata.labels, [COMPONENT_LABEL]: 'kubevirt', [MANAGED_BY_LABEL]: 'virt-operator' },
      annotations: {
        ...obj.metadata.annotations,
        [VERSION_ANNOTATION]: target.version,
        [REGISTRY_ANNOTATION]: target.registry,
        [ID_ANNOTATION]: target.deploymentId,
        [GENERATION_ANNOTATION]: String(target.generation),
      },
    },
  };
}
