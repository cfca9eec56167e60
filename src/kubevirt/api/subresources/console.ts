/**
 * virtualmachineinstances/{console,vnc}: WebSocket streams (virtctl console
 * and vnc speak the `plain.kubevirt.io` subprotocol). The serial console of a
 * simulated guest replays its boot log up to the login prompt and answers
 * typed lines like a getty that knows no users; the simulated guests have no
 * framebuffer, so VNC accepts the connection and closes it saying so.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { type StatusError, badRequest } from '../../../api/errors.js';
import type { VirtualMachineInstance } from '../../controller/types.js';
import { guestOfVmi } from '../../handler/guest-os.js';
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

/** The guest's serial output so far: firmware, kernel, init, then the login prompt. */
export function bootLog(vmi: VirtualMachineInstance): string {
  const host = (vmi.spec.hostname as string | undefined) ?? vmi.metadata.name!;
  const ip = (vmi.status?.interfaces?.[0]?.ipAddress as string | undefined) ?? '10.0.2.2';
  return guestOfVmi(vmi as never)
    .consoleLines.map((line) => line.replaceAll('{host}', host).replaceAll('{ip}', ip))
    .join('\r\n');
}

/** The first offered subprotocol, echoed back as the server's choice. */
const offeredProtocol = (headers: IncomingHttpHeaders): string | undefined =>
  headers['sec-websocket-protocol']?.split(',')[0]?.trim() || undefined;

/** Accepts the upgrade and runs a getty on the serial line: a login name, a password (not echoed), "Login incorrect". */
export function serveSerialConsole(socket: Duplex, headers: IncomingHttpHeaders, vmi: VirtualMachineInstance): void {
  const host = (vmi.spec.hostname as string | undefined) ?? vmi.metadata.name!;
  let askingPassword = false;
  const connection = WebSocketConnection.accept(socket, headers, offeredProtocol(headers), {
    onMessage(data) {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          askingPassword = !askingPassword;
          connection.send(Buffer.from(askingPassword ? '\r\nPassword: ' : `\r\n\r\nLogin incorrect\r\n${host} login: `));
        } else if (!askingPassword) {
          connection.send(Buffer.from(char));
        }
      }
    },
  });
  connection.send(Buffer.from(bootLog(vmi)));
}

export function serveVnc(socket: Duplex, headers: IncomingHttpHeaders): void {
  const connection = WebSocketConnection.accept(socket, headers, offeredProtocol(headers), { onMessage: () => undefined });
  connection.close(CLOSE_UNSUPPORTED_DATA, VNC_NOT_SUPPORTED);
}
