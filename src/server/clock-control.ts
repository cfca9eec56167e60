/**
 * Clock control over HTTP, for users who drive simulated time from their own
 * tests (`serve --clock virtual`): read the emulator's time, advance it, or
 * run it until no timer is left. Outside the Kubernetes API paths, beside
 * /version and /healthz, so discovery never lists it; the `clock` CLI
 * subcommand and `kubectl get --raw` / `kubectl create --raw` reach it with
 * the kubeconfig's credentials.
 *
 *   GET  /emulator/clock                       the clock's state
 *   POST /emulator/clock/advance?by=30s        fire every timer due within 30s, then stop there
 *   POST /emulator/clock/run-until-idle?max=1h jump timer to timer until none is left (at most 1h)
 */
import type { FastifyInstance } from 'fastify';
import { badRequest, StatusError } from '../api/errors.js';
import { rfc3339Micro, VirtualClock, type Clock } from '../runtime/clock.js';
import { parseDuration } from '../runtime/duration.js';

export const CLOCK_PATH = '/emulator/clock';
/** Node heartbeats and leases keep timers pending forever, so running "until idle" needs a bound. */
const DEFAULT_IDLE_BOUND = '1h';

export interface ClockState {
  kind: 'EmulatorClock';
  mode: 'virtual' | 'real';
  now: string;
  /** Virtual clock only: timers waiting, and when the first is due. */
  pendingTimers?: number;
  nextTimer?: string;
}

export function clockState(clock: Clock): ClockState {
  const state: ClockState = {
    kind: 'EmulatorClock',
    mode: clock instanceof VirtualClock ? 'virtual' : 'real',
    now: rfc3339Micro(clock.now()),
  };
  if (clock instanceof VirtualClock) {
    const pending = clock.pendingTimers();
    state.pendingTimers = pending.length;
    if (pending.length > 0) state.nextTimer = rfc3339Micro(new Date(pending[0].dueMs));
  }
  return state;
}

function durationParam(query: unknown, name: string, fallback?: string): number {
  const text = (query as Record<string, string | undefined>)[name] ?? fallback;
  if (text === undefined) throw badRequest(`query parameter "${name}" is required, e.g. ?${name}=30s`);
  try {
    return parseDuration(text);
  } catch (err) {
    throw badRequest(`query parameter "${name}": ${(err as Error).message}`);
  }
}

function virtualClockOf(clock: Clock): VirtualClock {
  if (clock instanceof VirtualClock) return clock;
  throw new StatusError(409, 'Conflict', 'the emulator runs on the real clock; start it with --clock virtual to control time');
}

export function registerClockControl(app: FastifyInstance, clock: Clock): void {
  app.get(CLOCK_PATH, async () => clockState(clock));
  app.post(`${CLOCK_PATH}/advance`, async (req) => {
    const virtual = virtualClockOf(clock);
    await virtual.advance(durationParam(req.query, 'by'));
    return clockState(clock);
  });
  app.post(`${CLOCK_PATH}/run-until-idle`, async (req) => {
    const virtual = virtualClockOf(clock);
    await virtual.runUntilIdle({ maxMs: durationParam(req.query, 'max', DEFAULT_IDLE_BOUND) });
    return clockState(clock);
  });
}
