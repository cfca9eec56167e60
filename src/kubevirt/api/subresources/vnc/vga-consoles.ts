/**
 * The VGA text console of each running VMI: a text screen fed by a session on
 * the guest's display terminal (its own getty, as tty1 is beside ttyS0), which
 * lives as long as the VMI is served, so every VNC client and screenshot sees
 * the same screen. Keyed by the VMI's uid; the least recently used are dropped
 * beyond a bound, so VMIs that are gone do not keep theirs.
 */
import type { VirtualMachineInstance } from '../../../controller/types.js';
import type { SerialSession } from '../console.js';
import type { RfbConsole } from './rfb-session.js';
import { TextScreen } from './text-screen.js';

export type OpenSession = (vmi: VirtualMachineInstance, output: (bytes: Buffer) => void) => SerialSession;

const MAX_CONSOLES = 256;

export class VgaConsoles {
  private readonly consoles = new Map<string, RfbConsole & { session: SerialSession }>();

  constructor(private readonly openSession: OpenSession) {}

  of(vmi: VirtualMachineInstance): RfbConsole {
    const key = vmi.metadata.uid ?? `${vmi.metadata.namespace}/${vmi.metadata.name}`;
    let console = this.consoles.get(key);
    if (console) {
      this.consoles.delete(key);
    } else {
      const screen = new TextScreen();
      const session = this.openSession(vmi, (bytes) => screen.write(bytes));
      console = { screen, session, type: (bytes) => session.input(bytes) };
    }
    this.consoles.set(key, console);
    for (const [oldest, dropped] of this.consoles) {
      if (this.consoles.size <= MAX_CONSOLES) break;
      dropped.session.close();
      this.consoles.delete(oldest);
    }
    return console;
  }
}
