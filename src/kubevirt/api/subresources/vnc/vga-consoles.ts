/**
 * The VGA text console of each running VMI: a text screen attached to the
 * guest's console (the same login and shell transcript as the serial console,
 * one guest model), which lives as long as the guest runs, so every VNC client
 * and screenshot sees the same screen. Keyed by the VMI's uid; the least
 * recently used are dropped beyond a bound, so VMIs that are gone do not keep
 * theirs, and a guest that powers off drops its screen.
 */
import type { VirtualMachineInstance } from '../../../controller/types.js';
import type { GuestMachine, SerialConnection } from '../../../handler/guest/machine.js';
import type { RfbConsole } from './rfb-session.js';
import { TextScreen } from './text-screen.js';

const MAX_CONSOLES = 256;

const keyOf = (vmi: VirtualMachineInstance): string => vmi.metadata.uid ?? `${vmi.metadata.namespace}/${vmi.metadata.name}`;

export class VgaConsoles {
  private readonly consoles = new Map<string, RfbConsole & { session: SerialConnection }>();
  /** The one VNC connection of each VMI, by how to end it (virt-handler's stop channels). */
  private readonly viewers = new Map<string, () => void>();

  /** Whether a VNC client is connected (`preserveSession=true` then refuses the next one). */
  inUse(vmi: VirtualMachineInstance): boolean {
    return this.viewers.has(keyOf(vmi));
  }

  /** Makes `disconnect` the VMI's VNC connection, ending the current one as virt-handler does; returns its release. */
  connect(vmi: VirtualMachineInstance, disconnect: () => void): () => void {
    const key = keyOf(vmi);
    this.viewers.get(key)?.();
    this.viewers.set(key, disconnect);
    return () => {
      if (this.viewers.get(key) === disconnect) this.viewers.delete(key);
    };
  }

  of(vmi: VirtualMachineInstance, machine: GuestMachine): RfbConsole {
    const key = keyOf(vmi);
    let console = this.consoles.get(key);
    if (console) {
      this.consoles.delete(key);
    } else {
      const screen = new TextScreen();
      const session = machine.attachSerial(
        (text) => screen.write(Buffer.from(text)),
        () => this.consoles.delete(key),
      );
      console = { screen, session, type: (bytes) => session.input(bytes.toString('utf8')) };
    }
    this.consoles.set(key, console);
    for (const [oldest, dropped] of this.consoles) {
      if (this.consoles.size <= MAX_CONSOLES) break;
      dropped.session.detach();
      this.consoles.delete(oldest);
    }
    return console;
  }
}
