/**
 * The simulated libvirt domains, one per VMI, as virt-launcher runs them in
 * the launcher pods of the whole cluster. A domain lives on whether or not
 * the node's virt-handler runs (as QEMU does when the handler restarts); the
 * handler defines it, sends it commands, and reads its state to write the
 * VMI's status. Every state change notifies the listeners (libvirt's domain
 * events), and every delay comes from the simulation profile.
 */
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import { objectKey } from '../../runtime/informer.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import type { SimulationProfile } from '../../simulation/profile.js';
import type { GuestOS } from './guest-os.js';
import type { GuestMachine } from './guest/machine.js';
import type { MachineFactory } from './guest/machines.js';
import type { VirtualMachineInstance } from './vmi-types.js';

/** libvirt's domain states as virt-handler distinguishes them; `Defined` is a domain not started yet. */
export type DomainState = 'Defined' | 'Running' | 'Paused' | 'Shutoff';
/** Why a domain is Shutoff (libvirt's VIR_DOMAIN_SHUTOFF_* reasons the handler maps to a phase). */
export type ShutoffReason = 'Shutdown' | 'Destroyed' | 'Crashed';
export type PauseReason = 'User';

export interface Domain {
  /** The VMI's UID: a new VMI of the same name gets a new domain. */
  readonly uid: string;
  /** namespace/name of the VMI. */
  readonly key: string;
  readonly podUid: string;
  /** The node whose launcher pod runs the domain. */
  readonly nodeName: string;
  readonly guest: GuestOS;
  /** The running guest (console, SSH, agent), when the registry has a machine factory. */
  readonly machine?: GuestMachine;
  state: DomainState;
  reason?: ShutoffReason | PauseReason;
  /** QEMU failed to start: the text virt-launcher answers SyncVMI with. */
  startFailure?: string;
  agentConnected: boolean;
  /** Started with startStrategy Paused and not resumed yet: the guest has not run, so it boots on the first unpause. */
  awaitingFirstRun?: boolean;
  /** When the first ACPI shutdown signal went out (virt-handler keeps it in the domain's metadata). */
  gracefulShutdownAtMs?: number;
  /** The domain was destroyed after its grace period ran out with ACPI signalled: the handler reports Failed. */
  killedAfterGracePeriod: boolean;
}

export type DomainListener = (key: string) => void;

/** How a live migration ended, by migration UID, until the source handler has reported it. */
export interface MigrationOutcome {
  failed: boolean;
  reason?: string;
  /** Set when the migration ended by an abort (virt-launcher's domain metadata abortStatus). */
  abortStatus?: 'Succeeded';
}

/** virt-launcher's failure reason for a migration libvirt reports "canceled by client" (live-migration-source.go setMigrationResult). */
export const MIGRATION_ABORTED_MESSAGE = 'Live migration has been aborted';

/** What virt-launcher reports when the target QEMU gives up on the incoming migration stream. */
export const MIGRATION_FAILURE_MESSAGE =
  "Live migration failed error encountered during MigrateToURI3 libvirt api call: virError(Code=1, Domain=7, Message='internal error: qemu unexpectedly closed the monitor: qemu-kvm: load of migration failed: Input/output error')";

/** What virt-launcher answers when QEMU does not come up; the handler reports it in SyncFailed. */
export const BOOT_FAILURE_MESSAGE =
  'server error. command SyncVMI failed: "LibvirtError(Code=1, Domain=10, Message=\'internal error: process exited while connecting to monitor: qemu-kvm: failed to initialize kvm: Permission denied\')"';

/** What SyncVMI knows when it defines a domain. */
export interface DefineOptions {
  vmi?: VirtualMachineInstance;
  startPaused?: boolean;
}

export class DomainRegistry {
  private readonly domains = new Map<string, Domain>();
  /** The UIDs of the domains per VMI key (namespace/name), oldest first: a lookup by key reads that VMI's domains only. */
  private readonly uidsByKey = new Map<string, Set<string>>();
  private readonly timers = new Map<string, Set<TimerHandle>>();
  private readonly listeners = new Set<DomainListener>();
  /** VMIs (namespace/name) whose next start fails: the failBoot fault. */
  private readonly failingBoots = new Set<string>();
  /** VMIs (namespace/name) whose next migration fails on the target: the failNextMigration fault. */
  private readonly failingMigrations = new Set<string>();
  /** VMIs (namespace/name) whose next migration never converges (a guest dirtying memory faster than the link): the stallNextMigration fault. */
  private readonly stallingMigrations = new Set<string>();
  /** Migrations in flight (their UIDs) and those ended but not yet reported. */
  private readonly inFlight = new Set<string>();
  private readonly outcomes = new Map<string, MigrationOutcome>();
  /** UIDs of every VMI this process ran a domain for: any other VMI found running was running before it started. */
  private readonly known = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly random: SeededRandom,
    private readonly profile: SimulationProfile,
    private readonly machines?: MachineFactory,
  ) {}

  subscribe(listener: DomainListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(uid: string): Domain | undefined {
    return this.domains.get(uid);
  }

  /** The live domain of the VMI named `key`, if any. */
  byKey(key: string): Domain | undefined {
    const uid = this.uidsByKey.get(key)?.values().next().value;
    return uid === undefined ? undefined : this.domains.get(uid);
  }

  /** Makes the next start of this VMI fail, as QEMU failing to come up. */
  failNextBoot(key: string): void {
    this.failingBoots.add(key);
  }

  /** Makes the next migration of this VMI fail while its memory is being transferred. */
  failNextMigration(key: string): void {
    this.failingMigrations.add(key);
  }

  /** Makes the next migration of this VMI keep transferring until it is aborted. */
  stallNextMigration(key: string): void {
    this.stallingMigrations.add(key);
  }

  /**
   * The source starts sending the running domain to the target's launcher.
   * After the profile's transfer time the domain runs on the target node (in
   * the target pod), or, with the failNextMigration fault, stays on the
   * source and the migration is reported failed; with stallNextMigration it
   * runs until aborted.
   */
  migrate(domain: Domain, migrationUid: string, targetNode: string, targetPodUid: string): void {
    if (this.inFlight.has(migrationUid) || this.outcomes.has(migrationUid)) return;
    if (domain.state !== 'Running' && domain.state !== 'Paused') return;
    this.inFlight.add(migrationUid);
    if (this.stallingMigrations.delete(domain.key)) return;
    this.after(domain, this.profile.migrationMs, () => this.finishMigration(domain, migrationUid, targetNode, targetPodUid));
  }

  /**
   * virt-launcher's CancelVirtualMachineMigration: a migration in flight is
   * aborted (libvirt's AbortJob) and ends failed with abortStatus Succeeded,
   * the domain staying on the source. False when nothing was in flight (the
   * launcher ignores the cancel).
   */
  abortMigration(domain: Domain, migrationUid: string): boolean {
    if (!this.inFlight.delete(migrationUid)) return false;
    this.outcomes.set(migrationUid, { failed: true, reason: MIGRATION_ABORTED_MESSAGE, abortStatus: 'Succeeded' });
    this.notify(domain.key);
    return true;
  }

  /** How the migration ended, once it has. */
  migrationOutcome(migrationUid: string): MigrationOutcome | undefined {
    return this.outcomes.get(migrationUid);
  }

  /** The source has reported the outcome on the VMI: nothing needs it any more. */
  forgetMigration(migrationUid: string): void {
    this.outcomes.delete(migrationUid);
  }

  private finishMigration(domain: Domain, migrationUid: string, targetNode: string, targetPodUid: string): void {
    // An aborted migration is no longer in flight: its transfer ends with nothing to do.
    if (!this.inFlight.delete(migrationUid)) return;
    if (this.failingMigrations.delete(domain.key)) {
      this.outcomes.set(migrationUid, { failed: true, reason: MIGRATION_FAILURE_MESSAGE });
      this.notify(domain.key);
      return;
    }
    this.cancelTimers(domain);
    const moved: Domain = { ...domain, nodeName: targetNode, podUid: targetPodUid };
    this.domains.set(domain.uid, moved);
    this.outcomes.set(migrationUid, { failed: false });
    // A guest agent still on its way connects on the target.
    if (!moved.agentConnected && moved.state === 'Running') this.connectAgentLater(moved);
    this.notify(domain.key);
  }

  private indexByKey(key: string, uid: string): void {
    let uids = this.uidsByKey.get(key);
    if (!uids) this.uidsByKey.set(key, (uids = new Set()));
    uids.add(uid);
  }

  /** SyncVMI on a new domain: define it, then start it once the boot delay has passed. */
  /**
   * `vmi` gives the domain a guest machine (console, SSH, agent); `startPaused` is spec.startStrategy Paused, which
   * virt-launcher starts with VIR_DOMAIN_START_PAUSED (libvirt's "User" reason).
   */
  define(uid: string, key: string, podUid: string, nodeName: string, guest: GuestOS, options: DefineOptions = {}): Domain {
    const machine = this.machineFor(uid, guest, options.vmi);
    const domain: Domain = {
      uid,
      key,
      podUid,
      nodeName,
      guest,
      machine,
      state: 'Defined',
      agentConnected: false,
      killedAfterGracePeriod: false,
    };
    this.domains.set(uid, domain);
    this.known.add(uid);
    this.indexByKey(key, uid);
    this.after(domain, this.profile.vmiBootMs, () => this.start(domain, options.startPaused ?? false));
    return domain;
  }

  /**
   * A VMI that was Running or Paused when the emulator restarted from its stored state: its launcher and QEMU
   * are taken to have lived on, as they outlive a restart of virt-handler or of the control plane, so the
   * domain comes back in the state the VMI last reported. Undefined for a VMI this process already ran.
   */
  resume(
    vmi: VirtualMachineInstance,
    podUid: string,
    nodeName: string,
    guest: GuestOS,
    state: 'Running' | 'Paused',
    agentConnected: boolean,
  ) {
    const uid = vmi.metadata.uid ?? '';
    const key = objectKey(vmi);
    if (this.known.has(uid) || this.byKey(key)) return undefined;
    const reason = state === 'Paused' ? 'User' : undefined;
    const machine = this.machineFor(uid, guest, vmi);
    const domain: Domain = { uid, key, podUid, nodeName, guest, machine, state, reason, agentConnected, killedAfterGracePeriod: false };
    this.domains.set(uid, domain);
    this.known.add(uid);
    this.indexByKey(key, uid);
    machine?.boot();
    if (!agentConnected && state === 'Running') this.connectAgentLater(domain);
    return domain;
  }

  /** The guest of a domain; it acts on whichever copy of the domain is current (a migration replaces it). */
  private machineFor(uid: string, guest: GuestOS, vmi: VirtualMachineInstance | undefined): GuestMachine | undefined {
    const power = {
      powerOff: () => this.withCurrent(uid, (d) => this.powerOff(d)),
      reboot: () => this.withCurrent(uid, (d) => this.reboot(d)),
    };
    return vmi && this.machines ? this.machines(vmi, guest, power) : undefined;
  }

  pause(domain: Domain): void {
    if (domain.state !== 'Running') return;
    this.change(domain, { state: 'Paused', reason: 'User' });
  }

  unpause(domain: Domain): void {
    if (domain.state !== 'Paused') return;
    this.change(domain, { state: 'Running', reason: undefined });
    // A guest started paused boots only now.
    if (domain.awaitingFirstRun) {
      domain.awaitingFirstRun = false;
      domain.machine?.boot();
    }
    if (!domain.agentConnected) this.connectAgentLater(domain);
  }

  /** A reboot inside the guest (soft reboot or reset): the agent goes away until the guest is up again. */
  reboot(domain: Domain): void {
    if (domain.state !== 'Running') return;
    domain.machine?.halt(true);
    domain.machine?.boot();
    this.change(domain, { agentConnected: false });
    this.connectAgentLater(domain);
  }

  /**
   * The ACPI power button (first call) or a repeat of it; the guest powers
   * off after the profile's shutdown time unless it is paused. With a zero
   * grace period the domain is destroyed at once; otherwise it is destroyed
   * when the grace period, counted from the first signal, runs out.
   * Answers whether this was the first signal.
   */
  shutdown(domain: Domain, graceSeconds: number): boolean {
    if (domain.state === 'Shutoff') return false;
    if (graceSeconds <= 0 || domain.state === 'Defined') {
      this.change(domain, { state: 'Shutoff', reason: 'Destroyed' });
      return false;
    }
    if (domain.gracefulShutdownAtMs !== undefined) return false;
    domain.gracefulShutdownAtMs = this.clock.nowMs();
    this.after(
      domain,
      graceSeconds * 1000,
      () => this.change(domain, { state: 'Shutoff', reason: 'Destroyed', killedAfterGracePeriod: true }),
      false,
    );
    // A paused guest does not see the power button.
    if (domain.state === 'Running') this.after(domain, this.profile.guestShutdownMs, () => this.powerOff(domain));
    return true;
  }

  /** The guest powered itself off (poweroff inside the guest, or its answer to ACPI). */
  powerOff(domain: Domain): void {
    if (domain.state === 'Shutoff' || domain.state === 'Defined') return;
    this.change(domain, { state: 'Shutoff', reason: 'Shutdown' });
  }

  /** The guest kernel panicked or QEMU died. */
  crash(domain: Domain): void {
    if (domain.state === 'Shutoff') return;
    this.change(domain, { state: 'Shutoff', reason: 'Crashed' });
  }

  disconnectAgent(domain: Domain): void {
    this.change(domain, { agentConnected: false });
  }

  connectAgent(domain: Domain): void {
    if (domain.state === 'Running' || domain.state === 'Paused') this.change(domain, { agentConnected: true });
  }

  /** The domain is gone: its launcher exited, or the handler cleaned it up after the VMI ended. */
  remove(uid: string): void {
    const domain = this.domains.get(uid);
    if (!domain) return;
    this.cancelTimers(domain);
    this.domains.delete(uid);
    const uids = this.uidsByKey.get(domain.key);
    uids?.delete(uid);
    if (uids?.size === 0) this.uidsByKey.delete(domain.key);
    this.notify(domain.key);
  }

  private start(domain: Domain, paused: boolean): void {
    if (domain.state !== 'Defined') return;
    if (this.failingBoots.delete(domain.key)) {
      this.change(domain, { startFailure: BOOT_FAILURE_MESSAGE });
      return;
    }
    if (paused) {
      domain.awaitingFirstRun = true;
      this.change(domain, { state: 'Paused', reason: 'User' });
      return;
    }
    this.change(domain, { state: 'Running' });
    domain.machine?.boot();
    this.connectAgentLater(domain);
  }

  private withCurrent(uid: string, act: (domain: Domain) => void): void {
    const domain = this.domains.get(uid);
    if (domain) act(domain);
  }

  private connectAgentLater(domain: Domain): void {
    if (domain.guest.hasAgent) this.after(domain, this.profile.guestAgentConnectMs, () => this.connectAgent(domain));
  }

  private change(domain: Domain, fields: Partial<Domain>): void {
    if (this.domains.get(domain.uid) !== domain) return;
    const wasOff = domain.state === 'Shutoff';
    Object.assign(domain, fields);
    if (domain.state === 'Shutoff') {
      // A clean power-off says so on the serial port; a crash or a destroyed domain just stops.
      if (!wasOff && domain.reason === 'Shutdown') domain.machine?.halt(false);
      else if (!wasOff) domain.machine?.stop();
      domain.agentConnected = false;
      this.cancelTimers(domain);
    }
    this.notify(domain.key);
  }

  /**
   * Runs `fn` after `ms` (spread by the profile's jitter) unless the domain
   * is gone by then; at once when there is no delay, so that the `instant`
   * profile needs no clock step (a guest with no shutdown time is off before
   * the kubelet can remove its pod).
   */
  private after(domain: Domain, ms: number, fn: () => void, jitter = true): void {
    const delay = jitter ? Math.round(this.random.jitter(ms, this.profile.jitter)) : ms;
    if (delay <= 0) {
      fn();
      return;
    }
    let timers = this.timers.get(domain.uid);
    if (!timers) this.timers.set(domain.uid, (timers = new Set()));
    const handle = this.clock.setTimeout(() => {
      timers.delete(handle);
      if (this.domains.get(domain.uid) === domain) fn();
    }, delay);
    timers.add(handle);
  }

  private cancelTimers(domain: Domain): void {
    for (const handle of this.timers.get(domain.uid) ?? []) this.clock.clearTimeout(handle);
    this.timers.delete(domain.uid);
  }

  private notify(key: string): void {
    for (const listener of this.listeners) listener(key);
  }
}
