/**
 * virtualmachineinstances/{guestosinfo,userlist,filesystemlist}: in KubeVirt
 * virt-api asks virt-handler, which asks the guest agent in the VMI. The
 * simulated guest's agent knows what the handler reported on the VMI
 * (status.guestOSInfo, the AgentConnected condition) and what its image is
 * (src/kubevirt/handler/guest-os.ts). Failures are plain-text 500s, as these
 * GET handlers answer with go-restful's WriteError.
 */
import type { StatusError } from '../../../api/errors.js';
import type { VirtualMachineInstance } from '../../controller/types.js';
import { guestOfVmi } from '../../handler/guest-os.js';
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

/** The VMI's root filesystem as the agent's guest-get-fsinfo reports it. */
const ROOT_DISK_BYTES = 5 * 1024 ** 3;

/** The guest-agent GETs need a running VMI whose agent is connected; otherwise the 409 text virt-api writes as a 500. */
export function guestAgentProblem(vmi: VirtualMachineInstance): StatusError | undefined {
  const name = vmi.metadata.name!;
  if (vmi.status?.phase !== 'Running') return vmiConflict(name, MESSAGES.vmiNotRunning);
  if (!hasCondition(vmi, 'AgentConnected')) return vmiConflict(name, MESSAGES.vmiGuestAgent);
  return undefined;
}

const hostnameOf = (vmi: VirtualMachineInstance): string => (vmi.spec.hostname as string | undefined) ?? vmi.metadata.name!;

/** VirtualMachineInstanceFileSystemList items: the root filesystem on the first disk. */
function filesystems(vmi: VirtualMachineInstance) {
  const family = guestOfVmi(vmi as never).family;
  const fileSystemType = family === 'fedora' ? 'btrfs' : family === 'windows' ? 'NTFS' : family === 'ubuntu' ? 'ext4' : 'xfs';
  const firstDisk = vmi.spec.domain.devices?.disks?.[0];
  const bus = ((firstDisk?.disk as { bus?: string } | undefined)?.bus ?? 'virtio') as string;
  return [
    {
      diskName: bus === 'virtio' ? 'vda1' : 'sda1',
      mountPoint: family === 'windows' ? 'C:\\' : '/',
      fileSystemType,
      usedBytes: Math.round(ROOT_DISK_BYTES * 0.28),
      totalBytes: ROOT_DISK_BYTES,
      disk: [{ busType: bus, ...(firstDisk?.serial ? { serial: firstDisk.serial } : {}) }],
    },
  ];
}

/** VirtualMachineInstanceGuestAgentInfo. Nobody has logged in to a simulated guest, so the user list is empty. */
export function guestAgentInfo(vmi: VirtualMachineInstance) {
  const os = (vmi.status?.guestOSInfo as Record<string, string> | undefined) ?? guestOfVmi(vmi as never).osInfo;
  return {
    guestAgentVersion: GUEST_AGENT_VERSION,
    supportedCommands: SUPPORTED_COMMANDS.map((name) => ({ name, enabled: true })),
    hostname: hostnameOf(vmi),
    os,
    timezone: 'UTC, 0',
    fsInfo: { disks: filesystems(vmi) },
    fsFreezeStatus: (vmi.status?.fsFreezeStatus as string | undefined) ?? 'thawed',
  };
}

export const userList = () => ({ metadata: {}, items: [] });

export const filesystemList = (vmi: VirtualMachineInstance) => ({ metadata: {}, items: filesystems(vmi) });
