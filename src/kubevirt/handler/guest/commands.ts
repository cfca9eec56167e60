/**
 * The commands whose output depends on the simulated machine rather than on
 * files: its network (ip, ping), storage (df, lsblk), memory (free), clock
 * (date) and power (poweroff, halt, shutdown, reboot). Output follows the
 * image's userland: BusyBox's wording for the busybox images, iputils and
 * procps for the others.
 */
import { parseQuantity } from '../../../kube/quantity.js';
import { uname } from '../../../simulation/shell/commands.js';
import type { Command, CommandResult, ShellSession } from '../../../simulation/shell/session.js';
import type { GuestOS } from '../guest-os.js';
import type { VirtualMachineInstance } from '../vmi-types.js';
import { guestInterfaces, type GuestInterface } from './network.js';

/** What the machine commands read of the machine they run on. */
export interface MachineView {
  guest: GuestOS;
  vmi(): VirtualMachineInstance | undefined;
  /** Whether an address on the cluster network answers ICMP echo. */
  reachable(address: string): boolean;
  nowMs(): number;
}

const ok = (stdout: string): CommandResult => ({ stdout, exitCode: 0 });
const busybox = (view: MachineView): boolean => view.guest.image.shell === 'busybox';

function ipAddr(interfaces: GuestInterface[]): string {
  const lines = [
    '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
    '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
    '    inet 127.0.0.1/8 scope host lo',
    '       valid_lft forever preferred_lft forever',
  ];
  interfaces.forEach((iface, index) => {
    lines.push(`${index + 2}: ${iface.name}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc fq_codel state UP group default qlen 1000`);
    lines.push(`    link/ether ${iface.mac} brd ff:ff:ff:ff:ff:ff`);
    if (iface.address) {
      lines.push(
        `    inet ${iface.address}/${iface.prefixLength} brd ${iface.address.split('.').slice(0, 3).join('.')}.255 scope global dynamic ${iface.name}`,
      );
      lines.push('       valid_lft 86313388sec preferred_lft 86313388sec');
    }
  });
  return `${lines.join('\n')}\n`;
}

function ipRoute(interfaces: GuestInterface[]): string {
  const lines: string[] = [];
  const withGateway = interfaces.find((i) => i.gateway);
  if (withGateway)
    lines.push(`default via ${withGateway.gateway} dev ${withGateway.name} proto dhcp src ${withGateway.address} metric 100`);
  for (const iface of interfaces.filter((i) => i.address)) {
    const network = `${iface.address!.split('.').slice(0, 3).join('.')}.0/${iface.prefixLength}`;
    lines.push(`${network} dev ${iface.name} proto kernel scope link src ${iface.address} metric 100`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function ip(view: MachineView): Command {
  return (argv) => {
    const [object = '', verb] = argv.slice(1).filter((a) => !a.startsWith('-'));
    const interfaces = guestInterfaces(view.vmi());
    if ('address'.startsWith(object) && object !== '' && (!verb || verb === 'show' || verb === 'list')) return ok(ipAddr(interfaces));
    if ('route'.startsWith(object) && object !== '') return ok(ipRoute(interfaces));
    if ('link'.startsWith(object) && object !== '')
      return ok(
        ipAddr(interfaces)
          .split('\n')
          .filter((l) => !l.trimStart().startsWith('inet') && !l.trimStart().startsWith('valid'))
          .join('\n'),
      );
    return { stderr: `Object "${object}" is unknown, try "ip help".\n`, exitCode: 255 };
  };
}

function ping(view: MachineView): Command {
  return (argv, session) => {
    let count = 4;
    let target: string | undefined;
    for (let i = 1; i < argv.length; i++) {
      if (argv[i] === '-c') count = Math.max(1, Number(argv[++i]) || 1);
      else if (argv[i] === '-W' || argv[i] === '-w' || argv[i] === '-i' || argv[i] === '-s') i++;
      else if (!argv[i].startsWith('-')) target = argv[i];
    }
    if (!target)
      return {
        stderr: busybox(view) ? 'BusyBox v1.29.3 multi-call binary.\n' : 'ping: usage error: Destination address required\n',
        exitCode: busybox(view) ? 1 : 2,
      };
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(target))
      return { stderr: session.message('pingUnknownHost', { name: target }), exitCode: busybox(view) ? 1 : 2 };
    const own = guestInterfaces(view.vmi());
    const answers = target.startsWith('127.') || own.some((i) => i.address === target || i.gateway === target) || view.reachable(target);
    const replies = answers ? count : 0;
    const times = Array.from({ length: replies }, (_, i) => 0.3 + ((i * 37) % 10) / 40);
    const lines: string[] = [];
    if (busybox(view)) {
      lines.push(`PING ${target} (${target}): 56 data bytes`);
      for (const [i, t] of times.entries()) lines.push(`64 bytes from ${target}: seq=${i} ttl=63 time=${t.toFixed(3)} ms`);
      lines.push(
        '',
        `--- ${target} ping statistics ---`,
        `${count} packets transmitted, ${replies} packets received, ${answers ? 0 : 100}% packet loss`,
      );
      if (answers)
        lines.push(
          `round-trip min/avg/max = ${stats(times)
            .map((v) => v.toFixed(3))
            .slice(0, 3)
            .join('/')} ms`,
        );
    } else {
      lines.push(`PING ${target} (${target}) 56(84) bytes of data.`);
      for (const [i, t] of times.entries()) lines.push(`64 bytes from ${target}: icmp_seq=${i + 1} ttl=63 time=${t.toFixed(3)} ms`);
      const elapsed = answers ? (count - 1) * 1000 + 3 : count * 1000 + 40;
      lines.push(
        '',
        `--- ${target} ping statistics ---`,
        `${count} packets transmitted, ${replies} received, ${answers ? 0 : 100}% packet loss, time ${elapsed}ms`,
      );
      if (answers)
        lines.push(
          `rtt min/avg/max/mdev = ${stats(times)
            .map((v) => v.toFixed(3))
            .join('/')} ms`,
        );
    }
    return { stdout: `${lines.join('\n')}\n`, exitCode: answers ? 0 : 1 };
  };
}

/** min, avg, max, mean deviation. */
function stats(values: number[]): number[] {
  const avg = values.reduce((a, b) => a + b, 0) / values.length;
  return [Math.min(...values), avg, Math.max(...values), values.reduce((a, b) => a + Math.abs(b - avg), 0) / values.length];
}

/** A size in KiB as `df -h` and `lsblk` print it (44M, 4.6G). */
function human(kib: number): string {
  const units = ['K', 'M', 'G', 'T'];
  let value = kib;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)}${units[unit]}`;
}

function df(view: MachineView): Command {
  return (argv) => {
    const fs = view.guest.image.filesystem;
    const humanReadable = argv.slice(1).some((a) => a.startsWith('-') && a.includes('h'));
    const [size, used] = [fs.sizeMiB * 1024, fs.usedMiB * 1024];
    const available = size - used;
    const percent = `${Math.ceil((used * 100) / size)}%`;
    const rows = [
      [`/dev/${fs.device}`, size, used, available, percent, fs.mountPoint ?? '/'],
      ['tmpfs', 65536, 0, 65536, '0%', '/dev/shm'],
    ] as const;
    const format = (n: number): string => (humanReadable ? human(n) : String(n));
    const header = humanReadable
      ? ['Filesystem', 'Size', 'Used', 'Avail', 'Use%', 'Mounted on']
      : ['Filesystem', '1K-blocks', 'Used', 'Available', 'Use%', 'Mounted on'];
    const table = [header, ...rows.map(([name, s, u, a, p, m]) => [name, format(s), format(u), format(a), p, m])];
    return ok(columns(table, [false, true, true, true, true, false]));
  };
}

/** Rows padded into columns; `right[i]` right-aligns column i. */
function columns(rows: ReadonlyArray<ReadonlyArray<string>>, right: boolean[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  const last = widths.length - 1;
  const pad = (cell: string, i: number): string => (right[i] ? cell.padStart(widths[i]) : i === last ? cell : cell.padEnd(widths[i]));
  return `${rows.map((r) => r.map(pad).join(' ').trimEnd()).join('\n')}\n`;
}

function memoryKiB(vmi: VirtualMachineInstance | undefined): number {
  const quantity = vmi?.spec?.domain?.memory?.guest ?? vmi?.spec?.domain?.resources?.requests?.memory ?? '128Mi';
  return Math.floor(parseQuantity(quantity) / 1024);
}

function free(view: MachineView): Command {
  return (argv) => {
    const total = memoryKiB(view.vmi());
    const used = Math.floor(total * 0.3);
    const cache = Math.floor(total * 0.2);
    const flags = argv.slice(1).join('');
    const unit = (kib: number): string =>
      flags.includes('h') ? `${human(kib)}i` : flags.includes('m') ? String(Math.floor(kib / 1024)) : String(kib);
    const rows = [
      ['', 'total', 'used', 'free', 'shared', 'buff/cache', 'available'],
      ['Mem:', unit(total), unit(used), unit(total - used - cache), unit(1024), unit(cache), unit(total - used)],
      ['Swap:', unit(0), unit(0), unit(0)],
    ];
    return ok(columns(rows, [false, true, true, true, true, true, true]));
  };
}

function lsblk(view: MachineView): Command {
  return () => {
    const vmi = view.vmi();
    const fs = view.guest.image.filesystem;
    const rows = [['NAME', 'MAJ:MIN', 'RM', 'SIZE', 'RO', 'TYPE', 'MOUNTPOINTS']];
    const counters = { vd: 0, sd: 0 };
    for (const status of vmi?.status?.volumeStatus ?? []) {
      if (!status.target) continue;
      const volume = vmi?.spec?.volumes?.find((v) => v.name === status.name);
      const virtio = status.target.startsWith('vd');
      const index = virtio ? counters.vd++ : counters.sd++;
      const major = virtio ? 252 : 8;
      const claimSize = (status.persistentVolumeClaimInfo as { capacity?: { storage?: string } } | undefined)?.capacity?.storage;
      const cloudInit = volume?.cloudInitNoCloud !== undefined || volume?.cloudInitConfigDrive !== undefined;
      const kib = claimSize ? parseQuantity(claimSize) / 1024 : cloudInit ? 1024 : (fs.sizeMiB + 1) * 1024;
      rows.push([status.target, `${major}:${index * 16}`, '0', human(kib), cloudInit ? '1' : '0', 'disk', '']);
      if (volume?.containerDisk || (index === 0 && virtio === fs.device.startsWith('vd') && !cloudInit)) {
        if (/\d$/.test(fs.device))
          rows.push([`\`-${fs.device}`, `${major}:${index * 16 + 1}`, '0', human(fs.sizeMiB * 1024), '0', 'part', fs.mountPoint ?? '/']);
        else rows[rows.length - 1][6] = fs.mountPoint ?? '/';
      }
    }
    return ok(columns(rows, [false, false, true, true, true, false, false]));
  };
}

/** poweroff/halt/shutdown/reboot: root only; the machine does the rest once the line has run (a delayed `shutdown +N` acts at once). */
const power: Command = (argv, session: ShellSession) => {
  const name = argv[0].split('/').pop() ?? argv[0];
  const rebooting = name === 'reboot' || (name === 'shutdown' && /(^|\s)-r\b/.test(argv.slice(1).join(' ')));
  if (session.user.uid !== 0) {
    const verb = rebooting ? 'Reboot' : 'PowerOff';
    return { stderr: session.message('powerNotPermitted', { command: name, verb }), exitCode: 1 };
  }
  return { exitCode: 0, action: rebooting ? 'reboot' : 'poweroff' };
};

function date(view: MachineView): Command {
  return () => {
    const d = new Date(view.nowMs());
    const day = d.toUTCString().slice(0, 3);
    const month = d.toUTCString().slice(8, 11);
    const time = d.toISOString().slice(11, 19);
    return ok(`${day} ${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} UTC ${d.getUTCFullYear()}\n`);
  };
}

/** The machine's commands, to add to the common ones. */
export function machineCommands(view: MachineView): Record<string, Command> {
  const kernel = view.guest.image.kernel;
  return {
    uname: uname({
      kernelName: 'Linux',
      kernelRelease: kernel.release,
      kernelVersion: kernel.version,
      machine: 'x86_64',
      operatingSystem: 'GNU/Linux',
    }),
    ip: ip(view),
    ping: ping(view),
    df: df(view),
    free: free(view),
    lsblk: lsblk(view),
    date: date(view),
    poweroff: power,
    halt: power,
    shutdown: power,
    reboot: power,
  };
}
