/**
 * The scale subresource: an autoscaling/v1 Scale view of any resource with
 * replicas, read from and written to the paths its type declares.
 */
import { labelSelectorToString } from '../api/selectors/label-selector.js';
import type { KubeObject, ResourceType, ScalePaths } from '../api/types.js';
import { FieldError, invalid } from '../api/errors.js';

const builtinPaths: ScalePaths = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' };

const segments = (path: string) => path.split('.').filter(Boolean);

function read(obj: unknown, path: string): unknown {
  let node = obj;
  for (const s of segments(path)) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[s] : undefined;
  return node;
}

function write(obj: KubeObject, path: string, value: unknown): KubeObject {
  const keys = segments(path);
  const set = (node: Record<string, unknown> | undefined, i: number): Record<string, unknown> => ({
    ...node,
    [keys[i]]: i === keys.length - 1 ? value : set(node?.[keys[i]] as Record<string, unknown> | undefined, i + 1),
  });
  return set(obj, 0) as KubeObject;
}

export function toScale(type: ResourceType, obj: KubeObject) {
  const paths = type.scale ?? builtinPaths;
  const status: Record<string, unknown> = { replicas: read(obj, paths.statusReplicasPath) ?? 0 };
  if (paths.labelSelectorPath) {
    const selector = read(obj, paths.labelSelectorPath);
    if (selector) status.selector = selector;
  } else {
    const selector = (obj.spec as { selector?: unknown } | undefined)?.selector;
    if (selector && typeof selector === 'object') status.selector = labelSelectorToString(selector as never);
  }
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: read(obj, paths.specReplicasPath) ?? 0 },
    status,
  };
}

/** The object with the replicas a Scale (after patching) asks for. */
export function fromScale(type: ResourceType, obj: KubeObject, scale: unknown): KubeObject {
  const replicas = (scale as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas;
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    throw invalid('Scale', 'autoscaling', obj.metadata.name ?? '', [
      new FieldError(
        'FieldValueInvalid',
        'spec.replicas',
        `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      ),
    ]);
  }
  const paths = type.scale ?? builtinPaths;
  const rv = (scale as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
  const next = write(obj, paths.specReplicasPath, replicas ?? 0);
  return rv ? { ...next, metadata: { ...next.metadata, resourceVersion: rv } } : next;
}
