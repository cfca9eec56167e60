/**
 * Every served group/version/resource: the built-in table plus the rows that
 * Established CRDs add. Discovery, OpenAPI, routing and the client all look
 * types up here; `changes` tells them when CRDs come and go.
 */
import { Subject, type Observable } from 'rxjs';
import { apiVersionOf, type ResourceType } from './types.js';

export interface GroupInfo {
  name: string;
  /** Served versions, preferred first. */
  versions: string[];
}

const gvrKey = (group: string, version: string, plural: string) => `${group}/${version}/${plural}`;
const gvkKey = (apiVersion: string, kind: string) => `${apiVersion}/${kind}`;

export class TypeRegistry {
  private readonly byGvr = new Map<string, ResourceType>();
  private readonly byGvk = new Map<string, ResourceType>();
  private readonly custom = new Map<string, ResourceType[]>();
  private readonly changed = new Subject<void>();
  private groupsCache: GroupInfo[] | undefined;
  /** Every served type, rebuilt only when CRDs come or go: admission asks on every write. */
  private allCache: readonly ResourceType[] = [];

  constructor(private readonly builtins: ResourceType[]) {
    this.rebuild();
  }

  get changes(): Observable<void> {
    return this.changed;
  }

  /** Replaces the types served for one CRD (by its name); an empty list stops serving them. */
  setCustomTypes(crdName: string, types: ResourceType[]): void {
    if (types.length === 0) this.custom.delete(crdName);
    else this.custom.set(crdName, types);
    this.rebuild();
    this.changed.next();
  }

  byResource(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byGvr.get(gvrKey(group, version, plural));
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.byGvk.get(gvkKey(apiVersion, kind));
  }

  all(): readonly ResourceType[] {
    return this.allCache;
  }

  /** Groups in the order discovery lists them: core first, then built-ins, then CRD groups. */
  groups(): GroupInfo[] {
    if (!this.groupsCache) {
      const versions = new Map<string, string[]>();
      for (const type of this.byGvr.values()) {
        const list = versions.get(type.group) ?? [];
        if (!list.includes(type.version)) list.push(type.version);
        versions.set(type.group, list);
      }
      this.groupsCache = [...versions].map(([name, vs]) => ({ name, versions: sortVersions(vs) }));
    }
    return this.groupsCache;
  }

  versionTypes(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.version === version);
  }

  private rebuild(): void {
    this.byGvr.clear();
    this.byGvk.clear();
    this.groupsCache = undefined;
    for (const type of [...this.builtins, ...[...this.custom.values()].flat()]) {
      this.byGvr.set(gvrKey(type.group, type.version, type.plural), type);
      this.byGvk.set(gvkKey(apiVersionOf(type.group, type.version), type.kind), type);
    }
    this.allCache = Object.freeze([...this.byGvr.values()]);
  }
}

/**
 * Kubernetes' version priority: GA before beta before alpha, higher numbers
 * first (v2 > v1 > v1beta2 > v1beta1 > v1alpha1), non-conforming names last.
 */
export function sortVersions(versions: string[]): string[] {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0];
    const stability = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stability, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  return [...versions].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return a.localeCompare(b);
  });
}
