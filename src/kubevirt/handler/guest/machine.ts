/**
 * One simulated guest while its domain lives: its accounts, files, logged-in
 * users and serial port. The console (virt-api), the SSH server and the guest
 * agent all read this one object, so they never disagree: a login on the
 * serial port is in the agent's user list, a command gives the same output
 * on the console and over SSH.
 *
 * The serial port is a byte stream with any number of listeners (a console
 * WebSocket, a VNC framebuffer); what the guest prints goes to all of them
 * and what any of them types goes to the getty or shell on the port. Nothing
 * is replayed on attach: a listener sees output from then on, as on a real
 * serial line (the boot log is kept by the launcher's guest-console-log).
 */
import type { Duplex } from 'node:stream';
import type { Clock } from '../../../runtime/clock.js';
import { commonCommands } from '../../../simulation/shell/commands.js';
import { FileTree, ShellSession, type ShellAction } from '../../../simulation/shell/session.js';
import type { GuestOS } from '../guest-os.js';
import type { VirtualMachineInstance } from '../vmi-types.js';
import { type GuestAccounts, type GuestUser, passwordMatches } from './accounts.js';
import { machineCommands } from './commands.js';
import { guestInterfaces } from './network.js';
import { SerialGetty } from './serial-getty.js';
import type { GuestSshServer } from './ssh-server.js';
import { UserFiles } from './user-files.js';

/** The kernel's id of the current boot; KubeVirt's soft-reboot tests read it to see that the guest rebooted. */
const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

/** What the machine asks of its domain and the cluster around it. */
export interface MachineHooks {
  powerOff(): void;
  reboot(): void;
  reachable(address: string): boolean;
  vmi(): VirtualMachineInstance | undefined;
  /** A fresh random UUID: the kernel's boot_id of each boot. */
  newBootId(): string;
}

/** A login as the guest agent's guest-get-users reports it: KubeVirt's VirtualMachineInstanceGuestOSUser. */
export interface GuestLogin {
  userName: string;
  /** Seconds since the epoch, with fractions. */
  loginTime: number;
}

export type SerialListener = (text: string) => void;

export interface SerialConnection {
  /** Bytes typed into the port. */
  input(text: string): void;
  detach(): void;
}

export class GuestMachine {
  private accounts: GuestAccounts;
  private files: FileTree;
  // The serial listeners, logins and down listeners are made on first use: every running VMI has a machine and most
  // are never connected to (three empty collections are about 0.5 KiB).
  private listeners: Map<SerialListener, () => void> | undefined;
  private logins: Map<number, { user: string; tty: string; sinceMs: number }> | undefined;
  private nextLogin = 1;
  private nextPts = 0;
  private getty: SerialGetty;
  /** Connections that end when the guest goes down or reboots (SSH). */
  private downListeners: Set<() => void> | undefined;
  /** Made by the first connection to port 22: ssh2 is loaded then, not by every emulator start. */
  private sshServer: Promise<GuestSshServer> | undefined;
  private bootMs: number;

  constructor(
    readonly guest: GuestOS,
    private readonly clock: Clock,
    private readonly hooks: MachineHooks,
    accounts: GuestAccounts,
  ) {
    this.accounts = accounts;
    this.bootMs = clock.nowMs();
    this.files = this.fileTree();
    this.getty = new SerialGetty(this);
    this.runCloudInitCommands();
  }

  get hostname(): string {
    return this.accounts.hostname;
  }

  /** Whether the guest runs a shell on its serial port and an SSH server (Linux guests). */
  get hasShell(): boolean {
    return this.guest.dialect !== undefined && this.guest.image.prompts !== undefined;
  }

  /** Cloud-init's users arrive after the domain was defined (Secrets are read asynchronously). */
  configure(accounts: GuestAccounts): void {
    const bootId = this.files.read(BOOT_ID_PATH);
    this.accounts = accounts;
    this.files = this.fileTree();
    if (bootId !== undefined) this.files.write(BOOT_ID_PATH, bootId);
    this.runCloudInitCommands();
  }

  /**
   * cloud-init's runcmd, as root through the image's shell, its output appended to /var/log/cloud-init-output.log.
   * It runs on the files as configured (again if the configuration changes); a power command in it is not acted on.
   */
  private runCloudInitCommands(): void {
    const root = this.userNamed('root');
    if (!root || !this.hasShell || !this.accounts.runcmd?.length) return;
    const shell = this.openShell(root);
    let log = '';
    for (const line of this.accounts.runcmd) log += shell.run(line).output;
    this.files.write('/var/log/cloud-init-output.log', log, true);
  }

  userNamed(name: string): GuestUser | undefined {
    return this.accounts.users.find((u) => u.name === name);
  }

  /** The user if the password is theirs; a locked account (no password) never matches. */
  authenticate(name: string, password: string): GuestUser | undefined {
    const user = this.userNamed(name);
    return user && passwordMatches(user, password) ? user : undefined;
  }

  /** Whether the OpenSSH-format public key (type and base64 blob) is in the user's authorized keys. */
  authorizes(name: string, keyType: string, keyBlob: Buffer): boolean {
    const blob = keyBlob.toString('base64');
    return (this.userNamed(name)?.authorizedKeys ?? []).some((line) => {
      const [type, data] = line.trim().split(/\s+/);
      return type === keyType && data === blob;
    });
  }

  // --- the serial port ---

  /** A consumer of the serial port; `hangUp` is called when the guest powers off (the launcher's socket closes). */
  attachSerial(listener: SerialListener, hangUp: () => void = () => undefined): SerialConnection {
    const listeners = (this.listeners ??= new Map());
    listeners.set(listener, hangUp);
    return { input: (text) => this.getty.input(text), detach: () => listeners.delete(listener) };
  }

  /** Output on the serial port (\n becomes \r\n as the tty's ONLCR does). */
  printSerial(text: string): void {
    if (!this.listeners?.size) return;
    const bytes = text.replace(/\r?\n/g, '\r\n');
    for (const listener of this.listeners.keys()) listener(bytes);
  }

  /** A boot: a new boot_id, the firmware and kernel output, then a getty on the serial port. */
  boot(): void {
    this.bootMs = this.clock.nowMs();
    this.endAllLogins();
    this.files.write(BOOT_ID_PATH, `${this.hooks.newBootId()}\n`);
    this.getty = new SerialGetty(this);
    const ip = guestInterfaces(this.hooks.vmi())[0]?.address ?? '';
    const lines = this.guest.consoleLines.map((line) =>
      line.replaceAll('{host}', this.hostname).replaceAll('{ip}', ip).replaceAll(' {ipv6}', ''),
    );
    this.printSerial(lines.join('\n'));
  }

  /** The guest goes down (poweroff, ACPI, reboot): logins end and the kernel says so on the serial port. */
  halt(rebooting: boolean): void {
    this.endAllLogins();
    this.getty.stop();
    const systemd = this.guest.image.shell !== 'busybox';
    const lines = systemd
      ? ['[  OK  ] Stopped target multi-user.target - Multi-User System.', '[  OK  ] Reached target shutdown.target - System Shutdown.']
      : [
          'The system is going down NOW!',
          'Sent SIGTERM to all processes',
          'Sent SIGKILL to all processes',
          `Requesting system ${rebooting ? 'reboot' : 'poweroff'}`,
        ];
    lines.push(
      `[${((this.clock.nowMs() / 1000) % 100000).toFixed(6).padStart(12)}] reboot: ${rebooting ? 'Restarting system' : 'Power down'}`,
    );
    this.printSerial(`\n${lines.join('\n')}\n`);
    this.dropConnections();
    if (!rebooting) this.hangUpAll();
  }

  /** Calls `listener` once when the guest next halts (power-off, reboot, crash); answers how to stop listening. */
  whenDown(listener: () => void): () => void {
    const listeners = (this.downListeners ??= new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /**
   * A TCP connection to a port of the guest: the server listening there takes the stream, or
   * undefined when nothing listens (the connection is refused).
   */
  connect(port: number): ((stream: Duplex) => void) | undefined {
    if (port !== 22 || !this.hasShell || !this.guest.image.listens?.includes(port)) return undefined;
    this.sshServer ??= import('./ssh-server.js').then(({ GuestSshServer }) => new GuestSshServer(this));
    const server = this.sshServer;
    return (stream) => {
      server.then(
        (ssh) => ssh.accept(stream),
        () => stream.destroy(),
      );
    };
  }

  // --- logins and shells ---

  /** Records a login (the agent's user list, `who`); answers its id for `logout`. */
  login(user: GuestUser, tty: string): number {
    const id = this.nextLogin++;
    (this.logins ??= new Map()).set(id, { user: user.name, tty, sinceMs: this.clock.nowMs() });
    return id;
  }

  logout(id: number): void {
    this.logins?.delete(id);
  }

  /** A pseudo-terminal name for a new SSH session. */
  allocatePts(): string {
    return `pts/${this.nextPts++}`;
  }

  /** Each user logged in now, with their earliest login, as qemu-ga's guest-get-users reports. */
  loggedInUsers(): GuestLogin[] {
    const earliest = new Map<string, number>();
    for (const { user, sinceMs } of this.logins?.values() ?? []) earliest.set(user, Math.min(earliest.get(user) ?? Infinity, sinceMs));
    return [...earliest].map(([userName, ms]) => ({ userName, loginTime: ms / 1000 }));
  }

  /** A shell for the user, with the image's commands and the machine's. */
  openShell(user: GuestUser): ShellSession {
    const view = {
      guest: this.guest,
      vmi: () => this.hooks.vmi(),
      reachable: (a: string) => this.hooks.reachable(a),
      nowMs: () => this.clock.nowMs(),
    };
    return new ShellSession({
      user,
      hostname: () => this.hostname,
      commands: { ...commonCommands, ...machineCommands(view) },
      dialect: this.guest.dialect!,
      files: this.files,
      userNamed: (name) => this.userNamed(name),
      variables: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        SHELL: this.guest.image.shell === 'busybox' ? '/bin/sh' : '/bin/bash',
      },
    });
  }

  /** The guest's files as the user reaches them over a file transfer (SFTP, scp). */
  filesFor(user: GuestUser): UserFiles {
    return new UserFiles(this.files, user, this.bootMs);
  }

  /** The prompt for the session's user, from the image's templates. */
  prompt(session: ShellSession): string {
    const prompts = this.guest.image.prompts!;
    const home = session.user.home;
    const cwd = session.cwd === home ? '~' : session.cwd.startsWith(`${home}/`) ? `~${session.cwd.slice(home.length)}` : session.cwd;
    const dir = session.cwd === home ? '~' : session.cwd === '/' ? '/' : (session.cwd.split('/').pop() ?? '/');
    return (session.user.uid === 0 ? prompts.root : prompts.user)
      .replaceAll('{user}', session.user.name)
      .replaceAll('{host}', this.hostname)
      .replaceAll('{cwd}', cwd)
      .replaceAll('{dir}', dir);
  }

  /** What a shell asked for once its line ran: power actions go to the domain, which halts and boots the machine. */
  act(action: ShellAction | undefined): void {
    if (action === 'poweroff') this.hooks.powerOff();
    else if (action === 'reboot') this.hooks.reboot();
  }

  /** The domain stopped without the guest's say (crash, destroy): logins end, nothing more is printed. */
  stop(): void {
    this.endAllLogins();
    this.getty.stop();
    this.dropConnections();
    this.hangUpAll();
  }

  private dropConnections(): void {
    const listeners = [...(this.downListeners ?? [])];
    this.downListeners?.clear();
    for (const listener of listeners) listener();
  }

  private hangUpAll(): void {
    const hangUps = [...(this.listeners?.values() ?? [])];
    this.listeners?.clear();
    for (const hangUp of hangUps) hangUp();
  }

  private endAllLogins(): void {
    this.logins?.clear();
  }

  private fileTree(): FileTree {
    const { image } = this.guest;
    const passwd = this.accounts.users
      .map((u) => `${u.name}:x:${u.uid}:${u.gid}:${u.name}:${u.home}:${image.shell === 'busybox' ? '/bin/sh' : '/bin/bash'}\n`)
      .join('');
    const tree = new FileTree(
      {
        ...image.files,
        '/etc/hostname': `${this.hostname}\n`,
        '/etc/passwd': passwd,
        '/proc/version': `Linux version ${image.kernel.release} ${image.kernel.version}\n`,
        ...this.accounts.files,
      },
      () => this.clock.nowMs(),
    );
    for (const user of this.accounts.users) tree.directories.add(user.home);
    for (const dir of ['/bin', '/dev', '/proc', '/sys', '/tmp', '/usr', '/var']) tree.directories.add(dir);
    return tree;
  }
}
