/**
 * One informer's changes handed out by partition (a node name, say): many
 * components that each care about one partition of a cluster-wide informer
 * (every node's kubelet, every node's virt-handler) would otherwise each
 * register on it and each hear every change, work that grows with
 * partitions × changes. Here one registration routes a change only to the
 * partitions `partitionsOf` names for its old and new state, as a real
 * per-node informer (selected by node on the server) would hear it.
 */
import type { KubeObject } from '../api/types.js';
import type { EventHandlers, EventSource, HandlerRegistration, Informer } from './informer.js';
import type { Logger } from './logger.js';

/** Listeners per partition, with one upstream subscription held while any partition listens. */
export class PartitionedListeners<L> {
  private readonly byPartition = new Map<string, Set<L>>();
  private disconnect: (() => void) | undefined;

  constructor(
    private readonly connect: () => () => void,
    private readonly logger: Logger,
  ) {}

  add(partition: string, listener: L): () => void {
    this.disconnect ??= this.connect();
    let listeners = this.byPartition.get(partition);
    if (!listeners) this.byPartition.set(partition, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.byPartition.get(partition) === listeners) this.byPartition.delete(partition);
      if (this.byPartition.size === 0) {
        this.disconnect?.();
        this.disconnect = undefined;
      }
    };
  }

  /** Calls the listeners of each partition once; a failing one is logged and does not keep the others from hearing. */
  dispatch(partitions: readonly string[], call: (listener: L) => void): void {
    // Most changes concern one partition: no set is needed to call its listeners once.
    for (const partition of partitions.length > 1 ? new Set(partitions) : partitions) {
      for (const listener of this.byPartition.get(partition) ?? []) {
        try {
          call(listener);
        } catch (err) {
          this.logger.error(`handler of partition ${partition} failed`, err);
        }
      }
    }
  }
}

/** The partitions of an object before and after a change: one array, and most often the unchanged `before`. */
const bothStates = (before: string[], after: string[]): readonly string[] =>
  after.length === 1 && before.includes(after[0]) ? before : [...before, ...after];

export class RoutedInformer<T extends KubeObject> {
  private readonly listeners: PartitionedListeners<EventHandlers<T>>;

  constructor(
    private readonly informer: Informer<T>,
    private readonly partitionsOf: (obj: T) => string[],
    logger: Logger,
  ) {
    this.listeners = new PartitionedListeners(() => {
      const registration = informer.addEventHandler({
        onAdd: (obj) => this.listeners.dispatch(partitionsOf(obj), (h) => h.onAdd?.(obj)),
        onUpdate: (old, obj) => this.listeners.dispatch(bothStates(partitionsOf(old), partitionsOf(obj)), (h) => h.onUpdate?.(old, obj)),
        onDelete: (obj) => this.listeners.dispatch(partitionsOf(obj), (h) => h.onDelete?.(obj)),
      });
      return () => registration.remove();
    }, logger);
  }

  /** The changes of the objects in `partition`, as an informer of their own would deliver them. */
  forPartition(partition: string): EventSource<T> {
    return {
      waitForSync: () => this.informer.waitForSync(),
      addEventHandler: (handlers): HandlerRegistration => {
        const remove = this.listeners.add(partition, handlers);
        // As an informer replays its cache to a late handler: the objects already there that are in the partition.
        for (const obj of this.informer.list()) if (this.partitionsOf(obj).includes(partition)) handlers.onAdd?.(obj);
        return { remove };
      },
    };
  }
}
