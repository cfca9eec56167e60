/**
 * virtualmachineinstances/console: the serial console's WebSocket stream
 * (virtctl console speaks the `plain.kubevirt.io` subprotocol). The serial
 * console of a simulated guest replays its boot log up to the login prompt and
 * answers typed lines like a getty that knows no users. `openSerialSession` is
 * the seam the VGA console (vnc/) attaches to as well.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { type StatusError, badRequest } from '../../../api/errors.js';
import type { VirtualMachineInstance } from '../../controller/types.js';
import { guestOfVmi } from '../../handler/guest-os.js';
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

/** The guest's serial output so far: firmware, kernel, init, then the login prompt. */
export function bootLog(vmi: VirtualMachineInstance): string {
  const host = (vmi.spec.hostname as string | undefined) ?? vmi.metadata.name!;
  const ip = (vmi.status?.interfaces?.[0]?.ipAddress as string | undefined) ?? '10.0.2.2';
  return guestOfVmi(vmi as never)
    .consoleLines.map((line) => line.replaceAll('{host}', host).replaceAll('{ip}', ip))
    .join('\r\n');
}

/** The first offered subprotocol, echoed back as the server's choice. */
export const offeredProtocol = (headers: IncomingHttpHeaders): string | undefined =>
  headers['sec-websocket-protocol']?.split(',')[0]?.trim() || undefined;

/** A login session on one of the guest's terminals: bytes typed in, and the guest's output to `output`. */
export interface SerialSession {
  input(bytes: Buffer): void;
  close(): void;
}

/** Starts a getty on a terminal of the guest: a login name, a password (not echoed), "Login incorrect". */
export function openSerialSession(vmi: VirtualMachineInstance, output: (bytes: Buffer) => void): SerialSession {
  const host = (vmi.spec.hostname as string | undefined) ?? vmi.metadata.name!;
  let askingPassword = false;
  output(Buffer.from(bootLog(vmi)));
  return {
    input(data) {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          askingPassword = !askingPassword;
          output(Buffer.from(askingPassword ? '\r\nPassword: ' : `\r\n\r\nLogin incorrect\r\n${host} login: `));
        } else if (!askingPassword) {
          output(Buffer.from(char));
        }
      }
    },
    close: () => undefined,
  };
}

/** Accepts the upgrade and connects the serial line to a session on the guest's serial port. */
export function serveSerialConsole(socket: Duplex, headers: IncomingHttpHeaders, vmi: VirtualMachineInstance): void {
  let session: SerialSession | undefined;
  const connection = WebSocketConnection.accept(socket, headers, offeredProtocol(headers), {
    onMessage: (data) => session?.input(data),
    onClose: () => session?.close(),
  });
  session = openSerialSession(vmi, (bytes) => connection.send(bytes));
}
