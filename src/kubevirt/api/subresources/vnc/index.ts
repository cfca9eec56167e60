/**
 * virtualmachineinstances/vnc and vnc/screenshot: the VMI's VGA text console
 * over RFB inside the WebSocket (binary messages carry the byte stream, as
 * virt-api relays QEMU's VNC socket), and the same framebuffer as a PNG.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { VirtualMachineInstance } from '../../../controller/types.js';
import type { GuestMachine } from '../../../handler/guest/machine.js';
import { offeredProtocol } from '../console.js';
import { CLOSE_PROTOCOL_ERROR, WebSocketConnection } from '../websocket.js';
import { HEIGHT, WIDTH, renderRgb } from './framebuffer.js';
import { RfbSession } from './rfb-session.js';
import type { VgaConsoles } from './vga-consoles.js';

export { VgaConsoles } from './vga-consoles.js';

/** What virt-api answers (the handler's 503, relayed as an InternalError) when `preserveSession=true` meets a connected client. */
export const VNC_IN_USE =
  "Can't connect to websocket (503): websocket: bad handshake: application info: Active VNC connection. Request denied.";

/** Serves one VNC client; a newer client ends this one (virt-handler keeps one VNC stream per VMI). */
export function serveVnc(
  socket: Duplex,
  headers: IncomingHttpHeaders,
  vmi: VirtualMachineInstance,
  consoles: VgaConsoles,
  machine: GuestMachine,
): void {
  let session: RfbSession | undefined;
  const release = consoles.connect(vmi, () => socket.destroy());
  const connection = WebSocketConnection.accept(socket, headers, offeredProtocol(headers), {
    onMessage: (data) => session?.receive(data),
    onClose: () => {
      release();
      session?.close();
    },
  });
  session = new RfbSession(consoles.of(vmi, machine), vmi.metadata.name!, {
    send: (data) => connection.send(data),
    close: (reason) => connection.close(CLOSE_PROTOCOL_ERROR, reason),
  });
}

/**
 * The screen as an RGB PNG, what libvirt's screenshot of the display gives virt-handler. pngjs is loaded by the first
 * screenshot, not by every emulator start.
 */
export async function screenshot(vmi: VirtualMachineInstance, consoles: VgaConsoles, machine: GuestMachine): Promise<Buffer> {
  const { PNG } = await import('pngjs');
  const pixels = renderRgb(consoles.of(vmi, machine).screen, { x: 0, y: 0, width: WIDTH, height: HEIGHT });
  const png = new PNG({ width: WIDTH, height: HEIGHT, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  const data = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let i = 0; i < pixels.length; i++) data.writeUIntBE(pixels[i], i * 3, 3);
  png.data = data;
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}
