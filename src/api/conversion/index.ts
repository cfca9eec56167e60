/**
 * Conversion between the served versions of one resource. Kubernetes stores a built-in kind at one storage
 * version and converts every read and write through its internal type; a kind whose versions differ in shape
 * registers a converter here (keyed by storage key), so the registry, lists and watches convert through it.
 * Every other resource (and every CRD, whose conversion strategy is None here) only changes its apiVersion.
 */
import { apiVersionOf, type KubeObject, type ResourceType } from '../types.js';
import { eventConversion } from './event.js';
import { horizontalPodAutoscalerConversion } from './horizontal-pod-autoscaler.js';

export interface KindConversion {
  /** The apiVersion objects are stored at. */
  storageApiVersion: string;
  /** The object, whatever its served apiVersion, at `apiVersion`. */
  convert(object: KubeObject, apiVersion: string): KubeObject;
}

const conversions: ReadonlyMap<string, KindConversion> = new Map([
  ['autoscaling/horizontalpodautoscalers', horizontalPodAutoscalerConversion],
  ['/events', eventConversion],
]);

/** The object at the type's version, as a read through that version answers it. */
export function toServedVersion(type: ResourceType, object: KubeObject): KubeObject {
  const apiVersion = apiVersionOf(type.group, type.version);
  if (object.apiVersion === apiVersion) return object;
  const conversion = conversions.get(type.storageKey);
  return conversion ? conversion.convert(object, apiVersion) : { ...object, apiVersion };
}

/** The object at its resource's storage version (unchanged for a resource without a converter). */
export function toStorageVersion(type: ResourceType, object: KubeObject): KubeObject {
  const conversion = conversions.get(type.storageKey);
  if (!conversion || object.apiVersion === conversion.storageApiVersion) return object;
  return conversion.convert(object, conversion.storageApiVersion);
}
