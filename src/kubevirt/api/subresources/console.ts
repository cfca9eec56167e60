/**
 * virtualmachineinstances/console: the serial console's WebSocket stream
 * (virtctl console speaks the `plain.kubevirt.io` subprotocol). The console is
 * the guest's serial port as a byte stream: binary messages out carry what the
 * guest prints from the moment of connecting (no replay; the boot log is in
 * the launcher's guest-console-log container), messages in are typed into
 * the port. Any number of consumers may attach to one guest's port: the VGA
 * console of vnc/ renders the same stream.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { type StatusError, badRequest } from '../../../api/errors.js';
import type { VirtualMachineInstance } from '../../controller/types.js';
import type { GuestMachine } from '../../handler/guest/machine.js';
import { vmiConflict, MESSAGES } from './responses.js';
import { WebSocketConnection } from './websocket.js';

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
