/**
 * Time as a scenario sees it. In-process the emulator runs on a virtual
 * clock that moves only when the runner advances it; against a running
 * emulator (`--kubeconfig`) time is real and advancing means waiting.
 */
import { RealClock, type VirtualClock } from '../runtime/clock.js';

export interface ScenarioTime {
  readonly virtual: boolean;
  nowMs(): number;
  /** Lets `ms` of simulated time pass (firing the timers due meanwhile). */
  advance(ms: number): Promise<void>;
  /** Lets the work already due run (the emulator's reactions to the last request), without moving time. */
  settle(): Promise<void>;
  /**
   * Runs an outside program (kubectl) that waits on wall-clock time, e.g.
   * `kubectl drain` retrying refused evictions every 5 s: simulated time
   * follows the wall clock until it ends, so its waits see the cluster move.
   */
  alongsideWallClock<T>(run: () => Promise<T>): Promise<T>;
}

/** Event-loop turns given to the emulator after each step: a watch event, a reconcile and its write take a few. */
const SETTLE_TURNS = 5;
/** How often simulated time catches up with the wall clock while an outside program runs. */
const WALL_CLOCK_TICK_MS = 20;

export function virtualTime(clock: VirtualClock): ScenarioTime {
  return {
    virtual: true,
    nowMs: () => clock.nowMs(),
    advance: (ms) => clock.advance(ms),
    async settle() {
      for (let i = 0; i < SETTLE_TURNS; i++) await clock.advance(0);
    },
    async alongsideWallClock(run) {
      const wall = new RealClock();
      let running = true;
      const pace = async (): Promise<void> => {
        for (let last = wall.nowMs(); running; ) {
          await wall.sleep(WALL_CLOCK_TICK_MS);
          const now = wall.nowMs();
          await clock.advance(now - last);
          last = now;
        }
      };
      const pacing = pace();
      try {
        return await run();
      } finally {
        running = false;
        await pacing;
      }
    },
  };
}

export function realTime(): ScenarioTime {
  const clock = new RealClock();
  return {
    virtual: false,
    nowMs: () => clock.nowMs(),
    advance: (ms) => clock.sleep(ms),
    settle: async () => {},
    alongsideWallClock: (run) => run(),
  };
}
