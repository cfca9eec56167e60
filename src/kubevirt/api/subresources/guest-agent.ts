/**
 * virtualmachineinstances/{guestosinfo,userlist,filesystemlist}: in KubeVirt
 * virt-api asks virt-handler, which asks the guest agent in the VMI. The
 * simulated guest's agent knows what the handler reported on the VMI
 * (status.guestOSInfo, the AgentConnected condition) and the running guest
 * (src/kubevirt/handler/guest/machine.ts: its hostname, logged-in users and
 * root filesystem, the same the console and SSH see). Failures are
 * plain-text 500s, as these GET handlers answer with go-restful's WriteError.
 */
import type { StatusError } from '../../../api/errors.js';
import type { VirtualMachineInstance } from '../../controller/types.js';
import { guestOfVmi, type GuestOS } from '../../handler/guest-os.js';
import type { GuestMachine } from '../../handler/guest/machine.js';
import { hasCondition } from './vmi-lifecycle.js';
import { MESSAGES, vmiConflict } from './responses.js';

/** qemu-guest-agent's version in current Fedora/CentOS images. */
const GUEST_AGENT_VERSION = '9.1.0';

/** The guest-agent commands virt-handler checks for (a subset of what qemu-ga reports), all enabled. */
const SUPPORTED_COMMANDS = [
  'guest-exec',
  'guest-exec-status',
  'guest-fsfreeze-freeze',
  'guest-fsfreeze-status',
  'guest-fsfreeze-thaw',
  'guest-get-fsinfo',
  'guest-get-host-name',
  'guest-get-osinfo',
  'guest-get-timezone',
  'guest-get-users',
  'guest-info',
  'guest-network-get-interfaces',
  'guest-ping',
  'guest-set-user-password',
  'guest-shutdown',
];

/** The guest-agent GETs need a running VMI whose agent is connected; otherwise the 409 text virt-api writes as a 500. */
export function guestAgentProblem(vmi: VirtualMachineInstance): StatusError | undefined {
  const name = vmi.metadata.name!;
  if (vmi.status?.phase !== 'Running') return vmiConflict(name, MESSAGES.vmiNotRunning);
  if (!hasCondition(vmi, 'AgentConnected')) return vmiConflict(name, MESSAGES.vmiGuestAgent);
  return undefined;
}

const MIB = 1024 ** 2;

/** VirtualMachineInstanceFileSystemList items: the image's root filesystem, as `df` in the guest shows it. */
function filesystems(vmi: VirtualMachineInstance, guest: GuestOS) {
  const fs = guest.image.filesystem;
  const firstDisk = vmi.spec.domain.devices?.disks?.[0];
  const bus = ((firstDisk?.disk as { bus?: string } | undefined)?.bus ?? 'virtio') as string;
  return [
    {
      diskName: fs.device,
      mountPoint: fs.mountPoint ?? '/',
      fileSystemType: fs.type,
      usedBytes: fs.usedMiB * MIB,
      totalBytes: fs.sizeMiB * MIB,
      disk: [{ busType: bus, ...(firstDisk?.serial ? { serial: firstDisk.serial } : {}) }],
    },
  ];
}

/** The running guest if the handler reached it, else what the VMI's image says. */
const guestOf = (vmi: VirtualMachineInstance, machine: GuestMachine | undefined): GuestOS => machine?.guest ?? guestOfVmi(vmi as never);

/** VirtualMachineInstanceGuestAgentInfo. */
export function guestAgentInfo(vmi: VirtualMachineInstance, machine: GuestMachine | undefined) {
  const guest = guestOf(vmi, machine);
  const os = (vmi.status?.guestOSInfo as Record<string, string> | undefined) ?? guest.osInfo;
  return {
    guestAgentVersion: GUEST_AGENT_VERSION,
    supportedCommands: SUPPORTED_COMMANDS.map((name) => ({ name, enabled: true })),
    hostname: machine?.hostname ?? (vmi.spec.hostname as string | undefined) ?? vmi.metadata.name!,
    os,
    timezone: 'UTC, 0',
    fsInfo: { disks: filesystems(vmi, guest) },
    ...(machine ? { userList: machine.loggedInUsers() } : {}),
    fsFreezeStatus: (vmi.status?.fsFreezeStatus as string | undefined) ?? 'thawed',
  };
}

/** VirtualMachineInstanceGuestOSUserList: who is logged in on the console or over SSH now. */
export const userList = (_vmi: VirtualMachineInstance, machine: GuestMachine | undefined) => ({
  metadata: {},
  items: machine?.loggedInUsers() ?? [],
});

export const filesystemList = (vmi: VirtualMachineInstance, machine: GuestMachine | undefined) => ({
  metadata: {},
  items: filesystems(vmi, guestOf(vmi, machine)),
});
