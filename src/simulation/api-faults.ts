/**
 * API faults: rules that make the API server answer some requests with an
 * error (api-error) or answer them late (api-latency). The injector is a
 * request hook of the generic registry (src/api/registry/request-hooks.ts),
 * so a rule hits kubectl, client libraries and the in-process components
 * alike, as a flaky apiserver or etcd would. Whether a matching request is
 * hit is drawn from the emulator's seeded random, so runs repeat.
 *
 * `apiFaults(ctx | clock)` finds the injector of a cluster (keyed by its
 * Clock, as nodeFaults is), once the emulator registered it.
 */
import { StatusError, type StatusReason } from '../api/errors.js';
import type { ApiRequest, RequestHook, RequestVerb } from '../api/registry/request-hooks.js';
import type { ComponentContext } from '../runtime/component-context.js';
import type { Clock } from '../runtime/clock.js';
import type { SeededRandom } from '../runtime/seeded-random.js';

/** Which requests a rule applies to; an absent field matches anything. */
export interface RequestMatch {
  group?: string;
  resource?: string;
  subresource?: string;
  verb?: RequestVerb;
  namespace?: string;
  name?: string;
}

export type ApiFaultEffect = { kind: 'error'; code: number; message?: string } | { kind: 'latency'; milliseconds: number };

export interface ApiFaultRule {
  match: RequestMatch;
  /** The share of matching requests hit, 0–100. */
  percent: number;
  effect: ApiFaultEffect;
}

/** The Status reason kube-apiserver gives with each code (StatusReasonForCode). */
const REASONS: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const matches = (match: RequestMatch, request: ApiRequest): boolean =>
  (match.group === undefined || match.group === request.group) &&
  (match.resource === undefined || match.resource === request.resource) &&
  // A rule without a subresource targets the resource itself, not its status.
  (match.subresource ?? '') === (request.subresource ?? '') &&
  (match.verb === undefined || match.verb === request.verb) &&
  (match.namespace === undefined || match.namespace === request.namespace) &&
  (match.name === undefined || match.name === request.name);

export class ApiFaultInjector implements RequestHook {
  private readonly rules = new Map<string, ApiFaultRule>();

  constructor(
    private readonly clock: Clock,
    private readonly random: SeededRandom,
  ) {}

  /** Puts a rule in effect under `key` (replacing one with the same key). */
  set(key: string, rule: ApiFaultRule): void {
    this.rules.set(key, rule);
  }

  remove(key: string): void {
    this.rules.delete(key);
  }

  /** api-error rules: a hit request answers the rule's code. */
  admit(request: ApiRequest): void {
    for (const effect of this.hits(request, 'error'))
      throw injectedError(effect.code, effect.message ?? `injected fault: ${request.verb} ${request.resource}`);
  }

  /** api-latency rules: a hit request waits the rule's time (writes only: reads are served synchronously). */
  async delay(request: ApiRequest): Promise<void> {
    for (const effect of this.hits(request, 'latency')) await this.clock.sleep(effect.milliseconds);
  }

  /** The effects of the given kind whose rule matches the request and whose draw hit it. */
  private hits<K extends ApiFaultEffect['kind']>(request: ApiRequest, kind: K): Array<Extract<ApiFaultEffect, { kind: K }>> {
    const hit: Array<Extract<ApiFaultEffect, { kind: K }>> = [];
    for (const rule of this.rules.values()) {
      if (rule.effect.kind !== kind || !matches(rule.match, request)) continue;
      if (this.random.next() * 100 < rule.percent) hit.push(rule.effect as Extract<ApiFaultEffect, { kind: K }>);
    }
    return hit;
  }
}

function injectedError(code: number, message: string): StatusError {
  const reason = REASONS[code] ?? 'InternalError';
  return new StatusError(code, reason, code === 500 ? `Internal error occurred: ${message}` : message);
}

const injectors = new WeakMap<Clock, ApiFaultInjector>();

/** Makes `injector` the API fault injector of the cluster running on `clock`. */
export function registerApiFaults(clock: Clock, injector: ApiFaultInjector): void {
  injectors.set(clock, injector);
}

export function apiFaults(owner: ComponentContext | Clock): ApiFaultInjector {
  const injector = injectors.get('clock' in owner ? owner.clock : owner);
  if (!injector) throw new Error('API faults are not available: this cluster has no API fault injector');
  return injector;
}
