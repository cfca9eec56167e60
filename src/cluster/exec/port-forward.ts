/**
 * pods/portforward, the node's side: kube-apiserver's PortForwardLocation
 * (the pod must exist and be on a node), then what the kubelet and container
 * runtime do for each forwarded connection: dial localhost:<port> inside the
 * pod's network namespace, which reaches whatever a system registered on the
 * pod's ports (runtime/pod-ports.ts), or fails with the runtime's error.
 */
import { createHash } from 'node:crypto';
import { badRequest } from '../../api/errors.js';
import type { PortForwardHandler } from '../../api/extension-points.js';
import { POD_REF, type Pod } from '../../kube/pods.js';
import type { ComponentContext } from '../../runtime/component-context.js';

/** A stable id standing for the pod's sandbox, as the container runtime names it in its errors. */
const sandboxOf = (pod: Pod): string =>
  createHash('sha256')
    .update(pod.metadata.uid ?? pod.metadata.name ?? '')
    .digest('hex');

/** containerd's error for a port nothing listens on, as the kubelet wraps it for the client's error stream. */
function refused(pod: Pod, port: number): Error {
  const sandbox = sandboxOf(pod);
  const netns = `/var/run/netns/cni-${sandbox.slice(0, 8)}-${sandbox.slice(8, 12)}-${sandbox.slice(12, 16)}-${sandbox.slice(16, 20)}-${sandbox.slice(20, 32)}`;
  return new Error(
    `error forwarding port ${port} to pod ${sandbox}, uid : failed to execute portforward in network namespace "${netns}": ` +
      `failed to connect to localhost:${port} inside namespace "${sandbox}", IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused ` +
      `IPv6 dial tcp6 [::1]:${port}: connect: connection refused `,
  );
}

/** Registers pods/portforward: the streams, and the answer to a request that is no upgrade. */
export function servePortForward(ctx: ComponentContext): void {
  ctx.serveSubresource('/pods/portforward', async () => {
    throw badRequest('Upgrade request required');
  });
  const handler: PortForwardHandler = async (request) => {
    const pod = await ctx.client.get<Pod>(POD_REF, request.namespace, request.pod);
    if (!pod.spec.nodeName) throw badRequest(`pod ${request.pod} does not have a host assigned`);
    return {
      connect(port) {
        const server = ctx.podPorts?.serverAt(pod, port);
        if (!server) throw refused(pod, port);
        return server;
      },
    };
  };
  ctx.servePortForward?.(handler);
}
