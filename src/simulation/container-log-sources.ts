/**
 * What simulated containers print, where a component knows better than the
 * kubelet's generic output: virt-handler knows what a virt-launcher pod's
 * containers log. The kubelet (src/cluster/nodes/container-logs.ts) asks the
 * registered sources first; a component registers its source without knowing
 * the kubelet, and the kubelet asks without knowing the component.
 */
import type { Container, ContainerState, Pod } from '../kube/pods.js';

export interface LogLine {
  /** Milliseconds since the epoch, with sub-millisecond fractions. */
  timeMs: number;
  text: string;
}

/** The lines of this run of the pod's container, or undefined to leave the container to the kubelet's generic output. */
export type ContainerLogSource = (pod: Pod, container: Container, state: ContainerState) => LogLine[] | undefined;

// Process-wide: a source is a pure function of the pod, so emulators in one process can share it.
const sources: ContainerLogSource[] = [];

/** Adds a log source; registering the same source again does nothing. */
export function registerContainerLogSource(source: ContainerLogSource): void {
  if (!sources.includes(source)) sources.push(source);
}

/** The first registered source's lines for this container run, if any source knows it. */
export function containerLogFromSources(pod: Pod, container: Container, state: ContainerState): LogLine[] | undefined {
  for (const source of sources) {
    const lines = source(pod, container, state);
    if (lines) return lines;
  }
  return undefined;
}
