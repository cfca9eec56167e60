/**
 * What runs inside a simulated guest, guessed from its disk image the way a
 * person reads "quay.io/containerdisks/fedora:41": the OS the guest agent
 * reports (guestOSInfo), whether the image ships qemu-guest-agent, and the
 * lines the guest writes to its serial console while it boots.
 */
import { GUEST_AGENT_ANNOTATION, type VirtualMachineInstance } from './vmi-types.js';

export interface GuestOS {
  /** Short family id: cirros, fedora, centos, ubuntu, alpine, windows, ... */
  family: string;
  /** Whether the stock image runs qemu-guest-agent. */
  hasAgent: boolean;
  /** What the agent's guest-get-osinfo gives, in KubeVirt's VirtualMachineInstanceGuestOSInfo fields. */
  osInfo: Record<string, string>;
  /** Serial console output from firmware to the login prompt; `{host}` stands for the guest's hostname. */
  consoleLines: string[];
}

/** The numeric version in an image tag ("fedora:41" -> "41"), if it has one. */
const tagVersion = (image: string): string | undefined => /:(\d+(?:\.\d+)*)(?:[-@].*)?$/.exec(image)?.[1];

const seabios = [
  '',
  'SeaBIOS (version 1.16.3-4.el9)',
  '',
  'iPXE (http://ipxe.org) 00:03.0 CA00 PCI2.10 PnP PMM+BEFCAD40+BEF0AD40 CA00',
  '',
  'Booting from Hard Disk...',
];

function cirros(): GuestOS {
  return {
    family: 'cirros',
    hasAgent: false,
    osInfo: {},
    consoleLines: [
      ...seabios,
      '[    0.000000] Linux version 5.15.0-71-generic (buildd@lcy02-amd64-044) (gcc (Ubuntu 11.3.0-1ubuntu1~22.04) 11.3.0) #78-Ubuntu SMP Tue Apr 18 09:00:29 UTC 2023 (Ubuntu 5.15.0-71.78-generic 5.15.92)',
      '[    0.000000] Command line: LABEL=cirros-rootfs ro console=tty1 console=ttyS0',
      '[    1.514233] Run /init as init process',
      'info: initramfs: up at 1.60',
      'info: copying initramfs to /dev/vda1',
      'info: initramfs loading root from /dev/vda1',
      'info: /etc/init.d/rc.sysinit: up at 2.72',
      'Starting logging: OK',
      'Starting network: dhcpcd-9.4.1 starting',
      'eth0: soliciting a DHCP lease',
      'eth0: leased {ip} for 86313600 seconds',
      'OK',
      'checking http://169.254.169.254/2009-04-04/instance-id',
      'successful after 1/20 tries: up 5.04. iid=iid-datasource-none',
      'printed from cloud-init userdata',
      '  ____               ____  ____',
      ' / __/ __ ____ ____ / __ \\/ __/',
      '/ /__ / // __// __// /_/ /\\ \\ ',
      '\\___//_//_/  /_/   \\____/___/ ',
      '   http://cirros-cloud.net',
      '',
      '',
      "login as 'cirros' user. default password: 'gocubsgo'. use 'sudo' for root.",
      '{host} login: ',
    ],
  };
}

function systemdGuest(
  family: string,
  prettyName: string,
  kernelRelease: string,
  osInfo: Record<string, string>,
  hasAgent: boolean,
): GuestOS {
  return {
    family,
    hasAgent,
    osInfo,
    consoleLines: [
      ...seabios,
      `[    0.000000] Linux version ${kernelRelease} (mockbuild@buildhost) #1 SMP PREEMPT_DYNAMIC`,
      '[    0.000000] Command line: BOOT_IMAGE=(hd0,gpt3)/vmlinuz root=UUID=6f5c1a2e-5e0b-4f3c-9d7e-1b0e7a1c2d3f ro console=tty1 console=ttyS0,115200n8',
      '[    2.713402] systemd[1]: Detected virtualization kvm.',
      `[    2.714051] systemd[1]: Hostname set to <{host}>.`,
      `[  OK  ] Reached target multi-user.target - Multi-User System.`,
      ...(hasAgent ? ['[  OK  ] Started qemu-guest-agent.service - QEMU Guest Agent.'] : []),
      '',
      `${prettyName}`,
      `Kernel ${kernelRelease} on an x86_64 (ttyS0)`,
      '',
      'eth0: {ip}',
      '{host} login: ',
    ],
  };
}

function fedora(image: string): GuestOS {
  const version = tagVersion(image)?.split('.')[0] ?? '41';
  const kernelRelease = '6.11.4-301.fc41.x86_64';
  return systemdGuest(
    'fedora',
    `Fedora Linux ${version} (Cloud Edition)`,
    kernelRelease,
    {
      name: 'Fedora Linux',
      id: 'fedora',
      version: `${version} (Cloud Edition)`,
      versionId: version,
      prettyName: `Fedora Linux ${version} (Cloud Edition)`,
      kernelRelease,
      kernelVersion: '#1 SMP PREEMPT_DYNAMIC Sun Oct 20 15:02:33 UTC 2024',
      machine: 'x86_64',
    },
    true,
  );
}

function centosStream(image: string): GuestOS {
  const version = tagVersion(image)?.split('.')[0] ?? '9';
  const kernelRelease = version === '10' ? '6.12.0-55.el10.x86_64' : '5.14.0-522.el9.x86_64';
  return systemdGuest(
    'centos',
    `CentOS Stream ${version}`,
    kernelRelease,
    {
      name: 'CentOS Stream',
      id: 'centos',
      version,
      versionId: version,
      prettyName: `CentOS Stream ${version}`,
      kernelRelease,
      kernelVersion: '#1 SMP PREEMPT_DYNAMIC Fri Nov 15 20:36:15 UTC 2024',
      machine: 'x86_64',
    },
    true,
  );
}

function ubuntu(image: string): GuestOS {
  const version = tagVersion(image) ?? '24.04';
  const kernelRelease = '6.8.0-51-generic';
  return systemdGuest(
    'ubuntu',
    `Ubuntu ${version} LTS`,
    kernelRelease,
    {
      name: 'Ubuntu',
      id: 'ubuntu',
      version: `${version} LTS`,
      versionId: version,
      prettyName: `Ubuntu ${version} LTS`,
      kernelRelease,
      kernelVersion: '#51-Ubuntu SMP PREEMPT_DYNAMIC Sat Nov  9 17:58:29 UTC 2024',
      machine: 'x86_64',
    },
    false,
  );
}

function alpine(): GuestOS {
  return {
    family: 'alpine',
    hasAgent: false,
    osInfo: {},
    consoleLines: [...seabios, '', 'Welcome to Alpine Linux 3.20', 'Kernel 6.6.58-0-virt on an x86_64 (/dev/ttyS0)', '', '{host} login: '],
  };
}

function windows(): GuestOS {
  return {
    family: 'windows',
    hasAgent: true,
    osInfo: {
      name: 'Microsoft Windows',
      id: 'mswindows',
      version: '2022',
      versionId: '2022',
      prettyName: 'Windows Server 2022 Datacenter',
      kernelRelease: '20348',
      kernelVersion: '10.0',
      machine: 'x86_64',
    },
    // Windows writes nothing to the serial port after the firmware.
    consoleLines: [...seabios],
  };
}

function genericLinux(): GuestOS {
  return systemdGuest('linux', 'Linux', '6.8.0-51-generic', {}, false);
}

/** The guest of a disk image reference (containerDisk image, or a PVC/DataVolume name that names an OS). */
export function guestOfImage(image: string): GuestOS {
  // The repository's last path component, without tag or digest ("registry:5000/kubevirt/cirros-container-disk-demo:devel").
  const name = (image.toLowerCase().split('@')[0].split('/').pop() ?? '').split(':')[0];
  if (name.includes('cirros')) return cirros();
  if (name.includes('fedora')) return fedora(image);
  if (name.includes('centos') || name.includes('rhel')) return centosStream(image);
  if (name.includes('ubuntu')) return ubuntu(image);
  if (name.includes('alpine')) return alpine();
  if (name.includes('windows') || name.includes('win2k') || name.includes('win10') || name.includes('win11')) return windows();
  return genericLinux();
}

/** The image the VMI boots: the first volume that names one. */
export function bootImageOf(vmi: VirtualMachineInstance): string {
  for (const volume of vmi.spec?.volumes ?? []) {
    const image = volume.containerDisk?.image ?? volume.dataVolume?.name ?? volume.persistentVolumeClaim?.claimName;
    if (image) return image;
  }
  return '';
}

/** The VMI's guest, with the emulator's guest-agent annotation taking precedence over the image's habit. */
export function guestOfVmi(vmi: VirtualMachineInstance): GuestOS {
  const guest = guestOfImage(bootImageOf(vmi));
  const override = vmi.metadata.annotations?.[GUEST_AGENT_ANNOTATION];
  if (override === 'true' || override === 'false') return { ...guest, hasAgent: override === 'true' };
  return guest;
}
