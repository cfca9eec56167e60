/**
 * /openapi/v3: the index of group-version documents and the documents
 * themselves, built lazily, serialized once and cached with the content hash
 * kubectl uses to cache them on its side.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../api/types.js';
import { crdSpec } from '../../api/crd/crd-types.js';
import { builtinDocumentText } from './builtin-document.js';
import { crdDocument } from './crd-document.js';

export interface OpenApiIndex {
  paths: Record<string, { serverRelativeURL: string }>;
}

export interface ServedDocument {
  body: string;
  /** Upper-case hex SHA-512 of the body, as kube-openapi computes its ETags. */
  hash: string;
}

/** `api/v1` for "v1", `apis/apps/v1` for "apps/v1". */
export const groupVersionPath = (apiVersion: string): string => (apiVersion.includes('/') ? `apis/${apiVersion}` : `api/${apiVersion}`);

/** A document serialized on first use and kept. */
class LazyDocument {
  private served?: ServedDocument | null;

  constructor(private readonly serialize: () => string | undefined) {}

  get(): ServedDocument | undefined {
    if (this.served === undefined) {
      const body = this.serialize();
      this.served = body ? { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() } : null;
    }
    return this.served ?? undefined;
  }
}

interface CrdGroupVersion {
  /** The (immutable) CRD objects serving it: the same objects mean the same document. */
  crds: KubeObject[];
  document: LazyDocument;
}

const sameObjects = (a: KubeObject[], b: KubeObject[]): boolean => a.length === b.length && a.every((o, i) => o === b[i]);

export class OpenApiService {
  private readonly builtins = new Map<string, LazyDocument>();
  private crdGroupVersions = new Map<string, CrdGroupVersion>();

  /** @param builtinGroupVersions API versions of the built-in types: "v1", "apps/v1", ... */
  constructor(builtinGroupVersions: string[]) {
    for (const apiVersion of builtinGroupVersions) {
      const key = groupVersionPath(apiVersion);
      this.builtins.set(key, new LazyDocument(() => builtinDocumentText(key)));
    }
  }

  /** Replaces the served CRDs (the Established ones); documents of unchanged group-versions stay cached. */
  setCustomResourceDefinitions(crds: KubeObject[]): void {
    const served = new Map<string, { group: string; version: string; crds: KubeObject[] }>();
    for (const crd of crds) {
      const spec = crdSpec(crd);
      for (const version of spec.versions) {
        const key = `apis/${spec.group}/${version.name}`;
        if (!version.served || this.builtins.has(key)) continue;
        const entry = served.get(key) ?? { group: spec.group, version: version.name, crds: [] };
        entry.crds.push(crd);
        served.set(key, entry);
      }
    }
    const next = new Map<string, CrdGroupVersion>();
    for (const [key, { group, version, crds: serving }] of served) {
      const previous = this.crdGroupVersions.get(key);
      const document =
        previous && sameObjects(previous.crds, serving)
          ? previous.document
          : new LazyDocument(() => JSON.stringify(crdDocument(group, version, serving)));
      next.set(key, { crds: serving, document });
    }
    this.crdGroupVersions = next;
  }

  index(): OpenApiIndex {
    const paths: OpenApiIndex['paths'] = {};
    for (const key of [...this.builtins.keys(), ...this.crdGroupVersions.keys()].sort()) {
      const served = this.document(key);
      if (served) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${served.hash}` };
    }
    return { paths };
  }

  /** The document of `api/v1`, `apis/<group>/<version>`; undefined when that group-version is not served. */
  document(gvPath: string): ServedDocument | undefined {
    return (this.builtins.get(gvPath) ?? this.crdGroupVersions.get(gvPath)?.document)?.get();
  }
}
