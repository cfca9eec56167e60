/** A simulated guest for unit tests: the machine of a VMI's image on a virtual clock, with hooks that do nothing unless given. */
import { guestOfImage } from '../../../../src/kubevirt/handler/guest-os.js';
import { guestAccounts } from '../../../../src/kubevirt/handler/guest/accounts.js';
import { GuestMachine, type MachineHooks } from '../../../../src/kubevirt/handler/guest/machine.js';
import type { VirtualMachineInstance } from '../../../../src/kubevirt/handler/vmi-types.js';
import { VirtualClock } from '../../../../src/runtime/clock.js';

export function guestMachine(vmi: VirtualMachineInstance, image: string, hooks: Partial<MachineHooks> = {}): GuestMachine {
  const guest = guestOfImage(image);
  let boots = 0;
  return new GuestMachine(
    guest,
    new VirtualClock(new Date('2026-01-01T00:00:00Z')),
    {
      powerOff: () => undefined,
      reboot: () => undefined,
      reachable: () => false,
      vmi: () => vmi,
      newBootId: () => `00000000-0000-4000-8000-${String(++boots).padStart(12, '0')}`,
      ...hooks,
    },
    guestAccounts(vmi, guest, new Map()),
  );
}
