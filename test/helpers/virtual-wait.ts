/**
 * Waiting on an emulator that runs on a VirtualClock: look, and if the answer
 * is not there yet, move simulated time on one step and give the event loop a
 * turn, until the probe answers or the step budget runs out.
 */
import type { VirtualClock } from '../../src/runtime/clock.js';

export type VirtualWaitFor = <T>(what: string, probe: () => Promise<T | undefined | false>, stepMs?: number) => Promise<T>;

export function virtualWaitFor(clock: VirtualClock, maxSteps: number): VirtualWaitFor {
  return async <T>(what: string, probe: () => Promise<T | undefined | false>, stepMs = 1000): Promise<T> => {
    let lastError: unknown;
    for (let i = 0; i < maxSteps; i++) {
      try {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
      } catch (err) {
        lastError = err;
      }
      await clock.advance(stepMs);
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
  };
}
