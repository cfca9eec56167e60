/**
 * Lifecycle of the emulated components. A component starts and stops as a
 * unit; a Gate runs one only while a condition on the cluster holds, as a
 * real component runs only while its pod does (virt-operator while its
 * Deployment has a ready pod, virt-handler on a node while its pod there runs).
 */
import type { EventSource, HandlerRegistration } from './informer.js';
import { silentLogger, type Logger } from './logger.js';

export interface Component {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a set of components in the order added and stops them in reverse. */
export class ComponentManager {
  private readonly components: Component[] = [];
  private readonly running: Component[] = [];

  constructor(private readonly logger: Logger = silentLogger) {}

  add(component: Component): void {
    this.components.push(component);
  }

  /** Starts each component not yet running; if one fails, the ones started are stopped again and the error is thrown. */
  async start(): Promise<void> {
    for (const component of this.components) {
      if (this.running.includes(component)) continue;
      try {
        await component.start();
      } catch (err) {
        this.logger.error(`failed to start ${component.name}`, err);
        await this.stop();
        throw err;
      }
      this.running.push(component);
      this.logger.info(`started ${component.name}`);
    }
  }

  async stop(): Promise<void> {
    for (let component = this.running.pop(); component; component = this.running.pop()) {
      try {
        await component.stop();
        this.logger.info(`stopped ${component.name}`);
      } catch (err) {
        this.logger.error(`failed to stop ${component.name}`, err);
      }
    }
  }

  isRunning(component: Component): boolean {
    return this.running.includes(component);
  }
}

export interface GateOptions {
  name: string;
  /** The informers the condition reads; any change in them re-checks it. */
  informers: EventSource[];
  /** Reads the informers' caches; checked only once all of them have synced. */
  condition: () => boolean;
  /** Builds a fresh child for each period the condition holds (a stopped component is not restarted). */
  createChild: () => Component;
  logger?: Logger;
}

/**
 * Runs a child component while a condition holds. Level-triggered: after
 * every change it compares "should run" with "runs" and starts or stops the
 * child, one transition at a time, until the two agree.
 */
export class Gate implements Component {
  readonly name: string;
  private readonly logger: Logger;
  private registrations: HandlerRegistration[] = [];
  private child: Component | undefined;
  private active = false;
  private synced = false;
  /** The transitions in flight; each check waits for the previous one. */
  private transitions: Promise<void> = Promise.resolve();
  /** A check is queued and has not begun: later changes are covered by it (a burst of events costs one check). */
  private checkQueued = false;

  constructor(private readonly options: GateOptions) {
    this.name = options.name;
    this.logger = options.logger ?? silentLogger;
  }

  /** Begins watching the condition; the child starts later, once the informers have synced and the condition holds. */
  async start(): Promise<void> {
    if (this.active) return;
    this.active = true;
    const recheck = (): void => this.recheck();
    this.registrations = this.options.informers.map((informer) =>
      informer.addEventHandler({ onAdd: recheck, onUpdate: recheck, onDelete: recheck }),
    );
    void Promise.all(this.options.informers.map((informer) => informer.waitForSync())).then((results) => {
      this.synced = results.every(Boolean);
      this.recheck();
    });
  }

  async stop(): Promise<void> {
    this.active = false;
    for (const registration of this.registrations.splice(0)) registration.remove();
    this.recheck();
    await this.transitions;
  }

  /** Whether the child component is running now. */
  get childRunning(): boolean {
    return this.child !== undefined;
  }

  private recheck(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    this.transitions = this.transitions.then(() => {
      this.checkQueued = false;
      return this.converge();
    });
  }

  private async converge(): Promise<void> {
    const shouldRun = this.active && this.synced && this.evaluate();
    if (shouldRun && !this.child) {
      // A failure here must not reject `transitions`: every later check is chained on it.
      let child: Component | undefined;
      try {
        child = this.options.createChild();
        await child.start();
        this.child = child;
        this.logger.info(`${this.name}: condition holds, started ${child.name}`);
      } catch (err) {
        this.logger.error(`${this.name}: failed to start ${child?.name ?? 'its component'}`, err);
      }
    } else if (!shouldRun && this.child) {
      const child = this.child;
      this.child = undefined;
      try {
        await child.stop();
        this.logger.info(`${this.name}: condition no longer holds, stopped ${child.name}`);
      } catch (err) {
        this.logger.error(`${this.name}: failed to stop ${child.name}`, err);
      }
    }
  }

  private evaluate(): boolean {
    try {
      return this.options.condition();
    } catch (err) {
      this.logger.error(`${this.name}: condition failed`, err);
      return false;
    }
  }
}
