/**
 * The per-kind part of the generic registry. Built-in kinds take their
 * strategy from the built-in table; custom resources share one strategy whose
 * status handling follows the CRD's subresources. A few kinds add lifecycle
 * hooks (graceful pod deletion, namespace finalization).
 */
import { strategyFor, type Strategy } from '../builtins/strategies.js';
import { validateDnsSubdomainName } from '../builtins/names.js';
import type { KubeObject, ResourceType } from '../types.js';

export interface RegistryStrategy extends Strategy {
  /** Adjusts an update before validation (e.g. keep fields only a subresource may change). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): KubeObject;
  /** Adjusts an object being marked for deletion (e.g. a Namespace turns Terminating). */
  prepareForDelete?(obj: KubeObject): KubeObject;
  /** Seconds of grace a delete waits for (pods on a node); undefined or 0 deletes at once. */
  gracefulDeletionSeconds?(obj: KubeObject, requested: number | undefined): number | undefined;
  /** Finalizers outside metadata that also hold a deletion (a Namespace's spec.finalizers). */
  blockingFinalizers?(obj: KubeObject): string[];
  /** Objects expire the event TTL after their last write (kube-apiserver's Event storage: a TTLFunc returning --event-ttl). */
  expiresAfterEventTtl?: boolean;
  /** Whether a create keeps the status it carries (a kubelet registers its Node with status). */
  keepsStatusOnCreate?: boolean;
  /**
   * Writes through a subresource other than status (e.g. a Namespace's finalize, a Pod's binding). Each
   * changes only what its subresource owns, so the kind's update rules (a pod's immutable spec) do not apply.
   */
  subresources?: Record<string, (incoming: KubeObject, current: KubeObject) => KubeObject>;
}

const customStrategies = new WeakMap<ResourceType, RegistryStrategy>();

export function strategyOf(type: ResourceType): RegistryStrategy {
  if (!type.custom) return builtinStrategy(type);
  let strategy = customStrategies.get(type);
  if (!strategy) {
    const hasStatus = type.subresources.some((s) => s.name === 'status');
    strategy = {
      statusFields: hasStatus ? ['status'] : [],
      tracksGeneration: true,
      prepareForCreate: (obj) => obj,
      nameRule: validateDnsSubdomainName,
      validate: () => [],
    };
    customStrategies.set(type, strategy);
  }
  return strategy;
}

const lifecycleHooks: Record<string, Partial<RegistryStrategy>> = {
  '/Pod': {
    gracefulDeletionSeconds(pod, requested) {
      const spec = (pod.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      // Unscheduled and finished pods have no kubelet to wait for: they go at once.
      if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
      return requested ?? spec.terminationGracePeriodSeconds ?? 30;
    },
    subresources: {
      // pods/binding: the scheduler's one write that assigns the node and records PodScheduled.
      binding: (incoming, current) => ({
        ...current,
        spec: { ...(current.spec as object), nodeName: (incoming.spec as { nodeName?: string } | undefined)?.nodeName },
        status: incoming.status ?? current.status,
      }),
    },
  },
  '/Node': { keepsStatusOnCreate: true },
  // events.k8s.io/v1 Events are the same objects as core/v1 Events in kube, stored with the same TTL.
  '/Event': { expiresAfterEventTtl: true },
  'events.k8s.io/Event': { expiresAfterEventTtl: true },
  '/Namespace': {
    blockingFinalizers: (ns) => (ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [],
    prepareForDelete: (ns) => ({ ...ns, status: { ...(ns.status as object), phase: 'Terminating' } }),
    subresources: {
      finalize: (incoming, current) => ({
        ...current,
        spec: { ...(current.spec as object), finalizers: (incoming.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [] },
      }),
    },
  },
};

const builtinCache = new Map<string, RegistryStrategy>();

function builtinStrategy(type: ResourceType): RegistryStrategy {
  const key = `${type.group}/${type.kind}`;
  let strategy = builtinCache.get(key);
  if (!strategy) {
    strategy = { ...strategyFor(type.group, type.kind), ...lifecycleHooks[key] };
    builtinCache.set(key, strategy);
  }
  return strategy;
}

/** The object a write through `subresource` produces: status writes change status alone. */
export function subresourceWrite(strategy: RegistryStrategy, subresource: string, incoming: KubeObject, current: KubeObject): KubeObject {
  const custom = strategy.subresources?.[subresource];
  if (custom) return custom(incoming, current);
  const object: KubeObject = { ...current };
  for (const field of strategy.statusFields) {
    if (incoming[field] === undefined) delete object[field];
    else object[field] = incoming[field];
  }
  return object;
}

/** Whether a terminating object has nothing left holding it, so the write that cleared the last finalizer removes it. */
export function isFinalized(strategy: RegistryStrategy, obj: KubeObject): boolean {
  if (!obj.metadata.deletionTimestamp) return false;
  if (obj.metadata.finalizers?.length) return false;
  if (strategy.blockingFinalizers?.(obj).length) return false;
  // A pod in its grace period is removed by its kubelet's final delete, not by an update.
  return !strategy.gracefulDeletionSeconds || (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0;
}
