/**
 * A seeded pseudo-random source so that simulated jitter repeats run after
 * run. The generator is mulberry32: 32 bits of state, fast, and plenty for
 * spreading timings (not for anything cryptographic).
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** A number in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** `ms` spread uniformly by up to ±fraction of itself, never below zero. */
  jitter(ms: number, fraction: number): number {
    return Math.max(0, ms * (1 + this.between(-fraction, fraction)));
  }
}
