/**
 * What listens on pods' ports, as seen from inside a pod's network namespace
 * (what the kubelet's port-forward dials at localhost): systems that run
 * servers in pods register a listener (KubeVirt: a launcher pod's masquerade
 * rules carry localhost traffic to the guest), and the node asks them in turn.
 */
import type { PodPortServer } from '../api/extension-points.js';
import type { KubeObject } from '../api/types.js';

/** The server on `port` of the pod, or undefined when this listener has none there. */
export type PodPortListener = (pod: KubeObject, port: number) => PodPortServer | undefined;

export class PodPorts {
  private readonly listeners: PodPortListener[] = [];

  listen(listener: PodPortListener): void {
    this.listeners.push(listener);
  }

  /** The server on the pod's port, if any listener has one. */
  serverAt(pod: KubeObject, port: number): PodPortServer | undefined {
    for (const listener of this.listeners) {
      const server = listener(pod, port);
      if (server) return server;
    }
    return undefined;
  }
}
