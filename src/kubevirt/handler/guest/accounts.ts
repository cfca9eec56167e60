/**
 * Who may log into a guest, and as what host: the image's own users, then
 * what cloud-init applies at first boot from the VMI's cloudInitNoCloud or
 * cloudInitConfigDrive volume (`#cloud-config` user data inline, base64 or
 * from a Secret: `hostname`, `password`, `chpasswd`, `users` (plain and
 * crypt-hashed passwords, verified for SHA-256 and SHA-512 crypt),
 * `ssh_authorized_keys`, `write_files`, `runcmd`), then the VMI's accessCredentials
 * (SSH keys and passwords from Secrets; the qemuGuestAgent method needs an
 * agent in the guest, the noCloud/configDrive methods give keys to the
 * default user as cloud-init's meta-data does).
 */
import { verify } from 'unixcrypt';
import { parse } from 'yaml';
import type { ShellUser } from '../../../simulation/shell/session.js';
import type { GuestOS, ImageUser } from '../guest-os.js';
import type { VirtualMachineInstance } from '../vmi-types.js';

export interface GuestUser extends ShellUser {
  /** undefined: locked (no password login, unless a hash is set); '': logs in without a password. */
  password?: string;
  /** A crypt(3) hash the password must match instead (cloud-init's `passwd`, hashed `chpasswd` entries). */
  passwordHash?: string;
  authorizedKeys: string[];
}

/** cloud-init's test for a hashed password (cc_set_passwords): `$id$salt$hash` of MD5, bcrypt, SHA-256 or SHA-512 crypt. */
const isCryptHash = (value: string): boolean => /^\$(1|2a|2y|5|6)(\$.+){2}$/.test(value);

/** Sets a password as chpasswd does: a crypt hash as the hash, anything else as the password. */
function setPassword(user: GuestUser, value: string, hashed = isCryptHash(value)): void {
  user.password = hashed ? undefined : value;
  user.passwordHash = hashed ? value : undefined;
}

/** Whether `password` logs the user in: their password, or what matches their SHA-256/SHA-512 crypt hash. */
export function passwordMatches(user: GuestUser, password: string): boolean {
  if (user.password !== undefined) return user.password === password;
  if (!user.passwordHash || !/^\$[56]\$/.test(user.passwordHash)) return false;
  try {
    return verify(password, user.passwordHash);
  } catch {
    // A malformed hash matches nothing, as crypt(3) gives no match for it.
    return false;
  }
}

export interface GuestAccounts {
  hostname: string;
  users: GuestUser[];
  /** Files cloud-init wrote (write_files). */
  files: Record<string, string>;
  /** Command lines cloud-init's runcmd runs as root at first boot (a list entry's words quoted for sh). */
  runcmd?: string[];
}

/** A word as sh reads it back: single-quoted unless it is plain. */
const shellQuote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/** The decoded data of the Secrets the VMI names (in its namespace), by name; a Secret not read is absent. */
export type Secrets = ReadonlyMap<string, Record<string, string>>;

interface CloudConfigUser {
  name?: string;
  plain_text_passwd?: string;
  /** A crypt hash (`hashed_passwd` is its other name). */
  passwd?: string;
  hashed_passwd?: string;
  lock_passwd?: boolean;
  ssh_authorized_keys?: string[];
  sudo?: string | string[] | boolean;
  groups?: string | string[];
  homedir?: string;
}

interface CloudConfig {
  hostname?: string;
  fqdn?: string;
  password?: string;
  chpasswd?: { list?: string | string[]; users?: Array<{ name: string; password: string; type?: string }> };
  users?: Array<string | CloudConfigUser>;
  ssh_authorized_keys?: string[];
  write_files?: Array<{ path?: string; content?: string; append?: boolean }>;
  runcmd?: Array<string | string[]>;
}

interface CloudInitSource {
  userData?: string;
  userDataBase64?: string;
  secretRef?: { name?: string };
}

interface AccessCredential {
  sshPublicKey?: {
    source?: { secret?: { secretName?: string } };
    propagationMethod?: { qemuGuestAgent?: { users?: string[] }; noCloud?: object; configDrive?: object };
  };
  userPassword?: { source?: { secret?: { secretName?: string } }; propagationMethod?: { qemuGuestAgent?: object } };
}

const toUser = (image: ImageUser): GuestUser => {
  const gid = image.uid;
  return {
    name: image.name,
    uid: image.uid,
    gid,
    groups: [{ gid, name: image.uid === 0 ? 'root' : image.name }, ...(image.groups ?? [])],
    home: image.home,
    sudo: image.sudo ?? image.uid === 0,
    password: image.password,
    authorizedKeys: [],
  };
};

/** The Secrets the guest's accounts come from: cloud-init's secretRef and the accessCredentials' sources. */
export function secretNamesOf(vmi: VirtualMachineInstance): string[] {
  const names = new Set<string>();
  for (const volume of vmi.spec?.volumes ?? []) {
    const source = (volume.cloudInitNoCloud ?? volume.cloudInitConfigDrive) as CloudInitSource | undefined;
    if (source?.secretRef?.name) names.add(source.secretRef.name);
  }
  for (const credential of (vmi.spec?.accessCredentials ?? []) as AccessCredential[]) {
    const name = (credential.sshPublicKey ?? credential.userPassword)?.source?.secret?.secretName;
    if (name) names.add(name);
  }
  return [...names];
}

/** The cloud-init volume's user data, from whichever of its three sources it names. */
function userDataOf(vmi: VirtualMachineInstance, secrets: Secrets): string | undefined {
  for (const volume of vmi.spec?.volumes ?? []) {
    const source = (volume.cloudInitNoCloud ?? volume.cloudInitConfigDrive) as CloudInitSource | undefined;
    if (!source) continue;
    if (source.userData !== undefined) return source.userData;
    if (source.userDataBase64 !== undefined) return Buffer.from(source.userDataBase64, 'base64').toString('utf8');
    if (source.secretRef?.name) {
      const data = secrets.get(source.secretRef.name);
      return data?.userdata ?? data?.userData;
    }
  }
  return undefined;
}

/** The `#cloud-config` document in user data, or undefined for scripts and anything unreadable. */
function cloudConfigOf(userData: string | undefined): CloudConfig | undefined {
  if (!userData?.startsWith('#cloud-config')) return undefined;
  try {
    const config = parse(userData) as unknown;
    return config && typeof config === 'object' ? (config as CloudConfig) : undefined;
  } catch {
    return undefined;
  }
}

const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : value.split(/\r?\n/).filter(Boolean);

function applyCloudConfig(config: CloudConfig, accounts: GuestAccounts, defaultUser: string, nextUid: () => number): void {
  const named = (name: string): GuestUser | undefined => accounts.users.find((u) => u.name === name);
  if (config.users) {
    const keepDefault = config.users.includes('default');
    if (!keepDefault) accounts.users = accounts.users.filter((u) => u.name !== defaultUser || u.uid === 0);
    for (const entry of config.users) {
      if (typeof entry === 'string' || !entry.name) continue;
      let user = named(entry.name);
      if (!user) {
        const uid = nextUid();
        user = {
          name: entry.name,
          uid,
          gid: uid,
          groups: [{ gid: uid, name: entry.name }],
          home: entry.homedir ?? `/home/${entry.name}`,
          sudo: false,
          authorizedKeys: [],
        };
        accounts.users.push(user);
      }
      // cloud-init locks password login unless lock_passwd is false, whatever password it sets.
      const hash = entry.hashed_passwd ?? entry.passwd;
      if (entry.lock_passwd === false && hash !== undefined) setPassword(user, hash, true);
      if (entry.lock_passwd === false && entry.plain_text_passwd !== undefined) setPassword(user, entry.plain_text_passwd, false);
      user.authorizedKeys.push(...(entry.ssh_authorized_keys ?? []));
      if (entry.sudo !== undefined && entry.sudo !== false) user.sudo = true;
    }
  }
  const fallback = named(defaultUser);
  if (config.password !== undefined && fallback) setPassword(fallback, String(config.password));
  if (config.ssh_authorized_keys && fallback) fallback.authorizedKeys.push(...config.ssh_authorized_keys);
  for (const line of asList(config.chpasswd?.list)) {
    const [name, ...password] = line.split(':');
    const user = named(name.trim());
    if (user) setPassword(user, password.join(':'));
  }
  for (const entry of config.chpasswd?.users ?? []) {
    const user = named(entry.name);
    const type = entry.type ?? 'text';
    if (user && (type === 'text' || type === 'hash')) setPassword(user, entry.password, type === 'hash');
  }
  for (const file of config.write_files ?? []) {
    if (file.path) accounts.files[file.path] = (file.append ? (accounts.files[file.path] ?? '') : '') + (file.content ?? '');
  }
  if (config.runcmd)
    accounts.runcmd = config.runcmd.map((entry) => (Array.isArray(entry) ? entry.map(String).map(shellQuote).join(' ') : String(entry)));
  const hostname = config.fqdn?.split('.')[0] ?? config.hostname;
  if (hostname) accounts.hostname = hostname;
}

function applyAccessCredentials(vmi: VirtualMachineInstance, guest: GuestOS, accounts: GuestAccounts, secrets: Secrets): void {
  for (const credential of (vmi.spec?.accessCredentials ?? []) as AccessCredential[]) {
    if (credential.sshPublicKey) {
      const { source, propagationMethod } = credential.sshPublicKey;
      const data = source?.secret?.secretName ? secrets.get(source.secret.secretName) : undefined;
      const keys = Object.values(data ?? {}).flatMap((value) => value.split(/\r?\n/).filter(Boolean));
      const viaAgent = propagationMethod?.qemuGuestAgent;
      const targets = viaAgent
        ? guest.hasAgent
          ? (viaAgent.users ?? [])
          : []
        : guest.image.cloudInit === 'none'
          ? []
          : [guest.image.defaultUser];
      for (const name of targets) accounts.users.find((u) => u.name === name)?.authorizedKeys.push(...keys);
    }
    if (credential.userPassword && guest.hasAgent) {
      const secretName = credential.userPassword.source?.secret?.secretName;
      const data = secretName ? secrets.get(secretName) : undefined;
      for (const [name, password] of Object.entries(data ?? {})) {
        const user = accounts.users.find((u) => u.name === name);
        if (user) setPassword(user, password, false);
      }
    }
  }
}

/** The guest's users and hostname at boot. */
export function guestAccounts(vmi: VirtualMachineInstance, guest: GuestOS, secrets: Secrets): GuestAccounts {
  const image = guest.image;
  const accounts: GuestAccounts = {
    hostname: image.hostname ?? (vmi.spec?.hostname as string | undefined) ?? vmi.metadata.name ?? 'localhost',
    users: image.users.map(toUser),
    files: {},
  };
  let uid = Math.max(999, ...accounts.users.map((u) => u.uid));
  const mode = image.cloudInit ?? 'full';
  if (mode === 'full') {
    const config = cloudConfigOf(userDataOf(vmi, secrets));
    if (config) applyCloudConfig(config, accounts, image.defaultUser, () => ++uid);
  }
  applyAccessCredentials(vmi, guest, accounts, secrets);
  return accounts;
}
