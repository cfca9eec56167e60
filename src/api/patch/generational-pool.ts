/**
 * Values recently pooled under a key, bounded in two generations: a full
 * generation becomes the previous one, and a value still asked for is carried
 * into the current one, so values that stop recurring leave the pool again and
 * it never grows with the store.
 */
export class GenerationalPool<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();

  constructor(private readonly generationSize = 4096) {}

  /** The value pooled under `key`, if any. */
  get(key: string): V | undefined {
    const pooled = this.current.get(key);
    if (pooled !== undefined) return pooled;
    const kept = this.previous.get(key);
    if (kept !== undefined) this.add(key, kept);
    return kept;
  }

  add(key: string, value: V): void {
    this.current.set(key, value);
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Map();
    }
  }
}
