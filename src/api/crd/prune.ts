/**
 * Structural pruning (apiextensions-apiserver's pruning algorithm): fields a
 * CRD schema does not declare are dropped, except under
 * `x-kubernetes-preserve-unknown-fields`; apiVersion, kind and metadata of the
 * resource and of embedded resources stay, with metadata cut to ObjectMeta's
 * fields. The dropped paths are what strict field validation reports.
 * A null stays where the schema says `nullable: true` (or declares nothing, under preserve-unknown-fields) and is
 * dropped elsewhere (PruneNonNullableNullsWithoutDefaults; a null with a default was defaulted before), so custom
 * resources keep the `lastProbeTime: null` of KubeVirt's conditions as a real apiserver stores them.
 */
import type { CrdSchemaNode } from './crd-types.js';
import { childPath } from './json-path.js';
import { objectMetaFields } from './object-meta.js';

const metaFields = new Set(['apiVersion', 'kind', 'metadata']);

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

class Pruner {
  readonly unknownFields: string[] = [];

  /** Returns `value` itself when nothing below it was dropped, so unchanged subtrees stay shared. */
  prune(value: unknown, schema: CrdSchemaNode | undefined, path: string, isResource = false): unknown {
    if (Array.isArray(value)) {
      let changed = false;
      const items = value.map((item, i) => {
        const pruned = this.prune(item, schema?.items, childPath(path, i));
        changed ||= pruned !== item;
        return pruned;
      });
      return changed ? items : value;
    }
    if (!isObject(value)) return value;
    const embedded = isResource || schema?.['x-kubernetes-embedded-resource'] === true;
    const preserve = schema?.['x-kubernetes-preserve-unknown-fields'] === true;
    const additional = typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined;
    let changed = false;
    const out: Json = {};
    for (const [key, child] of Object.entries(value)) {
      const property = schema?.properties?.[key];
      const declared = property ?? additional;
      if (child === null && declared && !declared.nullable && !(embedded && metaFields.has(key))) {
        changed = true;
        continue;
      }
      let pruned: unknown = child;
      if (embedded && key === 'metadata') pruned = this.pruneMetadata(child, childPath(path, key));
      else if (embedded && metaFields.has(key)) pruned = child;
      else if (property || additional) pruned = this.prune(child, property ?? additional, childPath(path, key));
      else if (!preserve && schema?.additionalProperties !== true) {
        this.unknownFields.push(childPath(path, key));
        changed = true;
        continue;
      }
      changed ||= pruned !== child;
      out[key] = pruned;
    }
    return changed ? out : value;
  }

  private pruneMetadata(metadata: unknown, path: string): unknown {
    if (!isObject(metadata)) return metadata;
    const unknown = Object.keys(metadata).filter((key) => !objectMetaFields.has(key));
    if (unknown.length === 0) return metadata;
    for (const key of unknown) this.unknownFields.push(childPath(path, key));
    return Object.fromEntries(Object.entries(metadata).filter(([key]) => objectMetaFields.has(key)));
  }
}

export function pruneObject<T>(obj: T, schema: CrdSchemaNode | undefined): { object: T; unknownFields: string[] } {
  const pruner = new Pruner();
  const object = pruner.prune(obj, schema, '', true) as T;
  return { object, unknownFields: pruner.unknownFields.sort() };
}
