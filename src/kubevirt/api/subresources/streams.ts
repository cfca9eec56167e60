/**
 * The streaming subresources besides console, VNC and port-forward (pkg/virt-api/rest/usbredir.go, vsock.go and
 * streamer.go of KubeVirt v1.9): the VMI is fetched and checked before the WebSocket upgrade, so a plain GET gets the
 * check's error, or, when the VMI passes, gorilla/websocket's refusal of a request that is no upgrade.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { type StatusError, badRequest } from '../../../api/errors.js';
import type { VirtualMachineInstance } from '../../controller/types.js';
import { offeredProtocol } from './console.js';
import { MESSAGES, vmiConflict } from './responses.js';
import { WebSocketConnection } from './websocket.js';

/** gorilla/websocket's Upgrade error for a GET without `Connection: upgrade` (virt-api answers it as a 400). */
export const notWebSocket = (): StatusError =>
  badRequest("websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header");

/** validateVMIForUSBRedir. */
export function usbRedirProblem(vmi: VirtualMachineInstance): StatusError | undefined {
  const name = vmi.metadata.name ?? '';
  if (vmi.spec.architecture === 's390x') return vmiConflict(name, 'No USB support on s390x');
  if (!vmi.spec.domain.devices?.clientPassthrough) return vmiConflict(name, 'Not configured with USB Redirection');
  if (vmi.status?.phase !== 'Running') return badRequest(MESSAGES.vmiNotRunning);
  return undefined;
}

/** validateVMIForVSOCK: only a VMI with autoattachVSOCK has a VSOCK device. */
export function vsockProblem(vmi: VirtualMachineInstance): StatusError | undefined {
  return vmi.spec.domain.devices?.autoattachVSOCK === true ? undefined : badRequest('VSOCK is not attached.');
}

/**
 * A raw stream with nothing on the far side: the simulated guest has no USB devices to redirect and listens on no
 * VSOCK port, so the connection is accepted and carries no data until the client closes it.
 */
export function serveIdleStream(socket: Duplex, headers: IncomingHttpHeaders): void {
  WebSocketConnection.accept(socket, headers, offeredProtocol(headers), { onMessage: () => undefined });
}
