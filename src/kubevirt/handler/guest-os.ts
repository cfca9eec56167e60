/**
 * What runs inside a simulated guest, chosen from its disk image the way a
 * person reads "quay.io/containerdisks/fedora:41". The images are data
 * (schemas/guest/images/*.yaml: os-release and other files, kernel, prompts,
 * users, shell, boot log; schemas/guest/common.yaml: firmware output and the
 * shells' wording), so adding an image is adding a file.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { deepFreeze } from '../../runtime/deep-freeze.js';
import type { ShellDialect } from '../../simulation/shell/session.js';
import { GUEST_AGENT_ANNOTATION, type VirtualMachineInstance } from './vmi-types.js';

/** A user an image ships; `password` absent: locked, `''`: logs in without one. */
export interface ImageUser {
  name: string;
  uid: number;
  home: string;
  password?: string;
  sudo?: boolean;
  groups?: Array<{ gid: number; name: string }>;
}

/** One image table (schemas/guest/images/<name>.yaml) with `{version}` filled in. */
export interface GuestImage {
  name: string;
  match: string[];
  defaultVersion?: string;
  agent: boolean;
  /** What the image does with cloud-init data: `full` (cloud-init), `keys-only` (cirros-init), `none`; default full. */
  cloudInit?: 'full' | 'keys-only' | 'none';
  /** TCP ports with a server in the guest (22: SSH); others refuse connections. */
  listens?: number[];
  /** The shell's dialect in common.yaml; `none`: no shell on the serial port (Windows). */
  shell: string;
  /** A hostname the image keeps whatever the DHCP server offers (Alpine's "localhost"). */
  hostname?: string;
  kernel: { release: string; version: string };
  osInfo: Record<string, string>;
  prompts?: { login: string; password: string; user: string; root: string };
  loginIncorrect?: string;
  motd?: string;
  users: ImageUser[];
  defaultUser: string;
  filesystem: { type: string; device: string; sizeMiB: number; usedMiB: number; mountPoint?: string };
  files: Record<string, string>;
  boot: string[];
}

export interface GuestOS {
  /** Short family id: cirros, fedora, centos, ubuntu, alpine, windows, linux. */
  family: string;
  /** Whether the stock image runs qemu-guest-agent. */
  hasAgent: boolean;
  /** What the agent's guest-get-osinfo gives, in KubeVirt's VirtualMachineInstanceGuestOSInfo fields. */
  osInfo: Record<string, string>;
  /** Serial console output from firmware to the login prompt; `{host}` and `{ip}` stand for the guest's hostname and address. */
  consoleLines: string[];
  image: GuestImage;
  /** The shell's wording, or undefined for a guest with no shell on its console. */
  dialect?: ShellDialect;
}

const dataDir = new URL('../../../schemas/guest/', import.meta.url);

interface CommonData {
  firmware: string[];
  shells: Record<string, ShellDialect>;
}

let tables: { common: CommonData; images: GuestImage[] } | undefined;

/** The image tables, read once per process; the fallback (`linux`) last. */
function loadTables(): { common: CommonData; images: GuestImage[] } {
  if (tables) return tables;
  const common = parse(readFileSync(new URL('common.yaml', dataDir), 'utf8')) as CommonData;
  const imagesDir = new URL('images/', dataDir);
  const images = readdirSync(imagesDir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => parse(readFileSync(new URL(file, imagesDir), 'utf8')) as GuestImage)
    .sort((a, b) => Number(a.match.length === 0) - Number(b.match.length === 0));
  tables = { common, images };
  return tables;
}

/** The numeric version in an image tag ("fedora:41" -> "41"), if it has one. */
const tagVersion = (image: string): string | undefined => /:(\d+(?:\.\d+)*)(?:[-@].*)?$/.exec(image)?.[1]?.split('.')[0];

/** A copy of a value with `{version}` filled into every string. */
function withVersion<T>(value: T, version: string): T {
  return JSON.parse(JSON.stringify(value).replaceAll('{version}', version)) as T;
}

/**
 * Guests by image table and version: every VM of one image shares one (deep-frozen) guest, instead of a copy of the
 * image's files, users and boot log each (about 2 KiB per VM). Forgotten all at once past a bound, as the version is
 * whatever tag a user writes.
 */
const guests = new Map<string, GuestOS>();
const MAX_GUESTS = 256;

/** The guest of a disk image reference (containerDisk image, or a PVC/DataVolume name that names an OS); read-only. */
export function guestOfImage(reference: string): GuestOS {
  const { images } = loadTables();
  // The repository's last path component, without tag or digest ("registry:5000/kubevirt/cirros-container-disk-demo:devel").
  const name = (reference.toLowerCase().split('@')[0].split('/').pop() ?? '').split(':')[0];
  const table = images.find((image) => image.match.some((word) => name.includes(word))) ?? images[images.length - 1];
  const version = tagVersion(reference) ?? table.defaultVersion ?? '';
  const key = `${table.name}:${version}`;
  let guest = guests.get(key);
  if (!guest) {
    if (guests.size >= MAX_GUESTS) guests.clear();
    guests.set(key, (guest = deepFreeze(guestOfTable(table, version))));
  }
  return guest;
}

function guestOfTable(table: GuestImage, version: string): GuestOS {
  const { common } = loadTables();
  const image = withVersion(table, version);
  const osInfo =
    Object.keys(image.osInfo).length > 0
      ? { ...image.osInfo, kernelRelease: image.kernel.release, kernelVersion: image.kernel.version, machine: 'x86_64' }
      : {};
  return {
    family: image.name,
    hasAgent: image.agent,
    osInfo,
    consoleLines: [...common.firmware, ...image.boot, ...(image.prompts ? [image.prompts.login] : [])],
    image,
    dialect: common.shells[image.shell],
  };
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
