/**
 * Per-kind write strategies for the built-in kinds, as the kube-apiserver's
 * registry strategies do it: defaulting (which Kubernetes applies on every
 * decode), PrepareForCreate/PrepareForUpdate, and Validate.
 */
import type { FieldError } from '../errors.js';
import { deepClone } from '../patch/json.js';
import type { KubeObject } from '../types.js';
import { kindRules, type KindRules } from './kind-rules.js';
import { validateDnsSubdomainName, type NameValidator } from './names.js';
import { builtinResourceDefinitions } from './resources.js';

export { validateDnsLabelName, validateDnsSubdomainName, validateDns1035LabelName, validatePathSegmentName } from './names.js';

export interface Strategy {
  /** Which top-level fields only the status subresource may change (['status'] for most; none for kinds without status). */
  statusFields: string[];
  /** Whether spec changes bump metadata.generation (true for kinds with a spec and status split; CRDs decide by the status subresource). */
  tracksGeneration: boolean;
  /** Defaults and create-time fields (initial status, generated selectors). Returns a new object, or `obj` when the kind has neither. */
  prepareForCreate(obj: KubeObject): KubeObject;
  /**
   * Defaults again (Kubernetes defaults every decoded body, so a PUT without
   * defaulted fields gets them back) and carries over what only the server
   * sets. Returns a new object (`obj` when the kind has nothing to do). Every built-in strategy has it; optional so
   * that strategies of other origins (custom resources) may leave it out.
   */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): KubeObject;
  /** The metadata.name rule ObjectMeta validation applies; null for kinds never stored under a name (reviews). */
  nameRule: NameValidator | null;
  /** Field errors of the kind's own fields on a create (no `old`) or an update, worded as Kubernetes words them. */
  validate(obj: KubeObject, old?: KubeObject): FieldError[];
}

/** A private, mutable copy: stored objects are frozen and shared. */
const copyOf = (obj: KubeObject): KubeObject => deepClone(obj);

function buildStrategy(rules: KindRules, hasStatus: boolean): Strategy {
  const nameRule = rules.name === undefined ? validateDnsSubdomainName : rules.name;
  const isDefaulted = (obj: KubeObject): boolean => !rules.defaults || rules.isDefaulted?.(obj) === true;
  return {
    statusFields: hasStatus ? ['status'] : [],
    tracksGeneration: rules.tracksGeneration ?? false,
    // A kind with nothing to default or prepare, or an object already defaulted (Events, most of them), needs no
    // private copy to change.
    prepareForCreate(obj) {
      if (!rules.onCreate && isDefaulted(obj)) return obj;
      const prepared = copyOf(obj);
      rules.defaults?.(prepared);
      rules.onCreate?.(prepared);
      return prepared;
    },
    prepareForUpdate(obj, old) {
      if (!rules.onUpdate && isDefaulted(obj)) return obj;
      const prepared = copyOf(obj);
      rules.defaults?.(prepared);
      rules.onUpdate?.(prepared, old);
      return prepared;
    },
    nameRule,
    validate: (obj, old) => rules.validate?.(obj, old) ?? [],
  };
}

const kindsWithStatus = new Set(
  builtinResourceDefinitions()
    .filter((d) => d.subresources.some((s) => s.name === 'status'))
    .map((d) => `${d.group}/${d.kind}`),
);

const strategies = new Map<string, Strategy>();

/** The strategy of a built-in kind; kinds without special rules get names checked as DNS subdomains and nothing else. */
export function strategyFor(group: string, kind: string): Strategy {
  const key = `${group}/${kind}`;
  let strategy = strategies.get(key);
  if (!strategy) {
    strategy = buildStrategy(kindRules[key] ?? {}, kindsWithStatus.has(key));
    strategies.set(key, strategy);
  }
  return strategy;
}
