/**
 * virtualmachineinstances/{console,vnc}: WebSocket streams (virtctl console
 * and vnc speak the `plain.kubevirt.io` subprotocol). The console is the
 * guest's serial port as a byte stream: binary messages out carry what the
 * guest prints from the moment of connecting (no replay; the boot log is in
 * the launcher's guest-console-log container), messages in are typed into
 * the port. Any number of consumers may attach to one guest's port (a VNC
 * framebuffer renders the same stream). The simulated guests have no
 * framebuffer yet, so VNC accepts the connection and closes it saying so.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { type StatusError, badRequest } from '../../../api/errors.js';
import type { VirtualMachineInstance } from '../../controller/types.js';
import type { GuestMachine } from '../../handler/guest/machine.js';
import { vmiConflict, MESSAGES } from './responses.js';
import { CLOSE_UNSUPPORTED_DATA, WebSocketConnection } from './websocket.js';

export const VNC_NOT_SUPPORTED = 'VNC is not supported by kubevirt-emulator: simulated guests have no display';

export function consoleProblem(vmi: VirtualMachineInstance): StatusError | undefined {
  if (vmi.spec.domain.devices?.autoattachSerialConsole === false) return badRequest('No serial consoles are present.');
  if (vmi.status?.phase === 'Failed') return vmiConflict(vmi.metadata.name!, 'VMI is in failed status');
  if (vmi.status?.phase !== 'Running') return badRequest(MESSAGES.vmiNotRunning);
  return undefined;
}

export function vncProblem(vmi: VirtualMachineInstance): StatusError | undefined {
  if (vmi.spec.domain.devices?.autoattachGraphicsDevice === false) return badRequest('No graphics devices are present.');
  if (vmi.status?.phase !== 'Running') return badRequest(MESSAGES.vmiNotRunning);
  return undefined;
}

/** The first offered subprotocol, echoed back as the server's choice. */
export const offeredProtocol = (headers: IncomingHttpHeaders): string | undefined =>
  headers['sec-websocket-protocol']?.split(',')[0]?.trim() || undefined;

/** Accepts the upgrade and joins the WebSocket to the guest's serial port until either side goes away. */
export function serveSerialConsole(socket: Duplex, headers: IncomingHttpHeaders, machine: GuestMachine): void {
  const port = machine.attachSerial(
    (text) => connection.send(Buffer.from(text)),
    () => connection.close(),
  );
  const connection = WebSocketConnection.accept(socket, headers, offeredProtocol(headers), {
    onMessage: (data) => port.input(data.toString('utf8')),
    onClose: () => port.detach(),
  });
}

export function serveVnc(socket: Duplex, headers: IncomingHttpHeaders): void {
  const connection = WebSocketConnection.accept(socket, headers, offeredProtocol(headers), { onMessage: () => undefined });
  connection.close(CLOSE_UNSUPPORTED_DATA, VNC_NOT_SUPPORTED);
}
