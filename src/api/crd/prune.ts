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
import { FrozenAnswers } from '../frozen-answers.js';
import { fieldsBefore } from '../patch/json.js';

const metaFields = new Set(['apiVersion', 'kind', 'metadata']);

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where a value sits, spelled only when a field is dropped (most writes drop none). */
type PathLink = { parent: PathLink | undefined; step: string | number };
const spelled = (link: PathLink | undefined): string => (link ? childPath(spelled(link.parent), link.step) : '');

/**
 * Values found with nothing to prune, at the nodes one to three levels below the resource (spec, spec.template,
 * status.conditions...), when their subtree is large enough to pay for remembering it: the subtrees a write most
 * often keeps from the stored version, skipped once frozen.
 */
const clean = new FrozenAnswers<CrdSchemaNode>();
const MAX_REMEMBERED_DEPTH = 3;
const MIN_REMEMBERED_NODES = 8;

class Pruner {
  readonly unknownFields: string[] = [];
  /** Objects and lists walked so far: what a subtree's walk cost, to remember only the large ones. */
  private walked = 0;

  /** Returns `value` itself when nothing below it was dropped, so unchanged subtrees stay shared. */
  prune(value: unknown, schema: CrdSchemaNode | undefined, path: PathLink | undefined, isResource = false, depth = 0): unknown {
    const remembered = schema !== undefined && depth > 0 && depth <= MAX_REMEMBERED_DEPTH;
    if (remembered && clean.has(schema, value)) return value;
    const unknownBefore = this.unknownFields.length;
    const walkedBefore = this.walked;
    const pruned = this.pruneValue(value, schema, path, isResource, depth);
    if (!remembered) return pruned;
    if (pruned !== value || this.unknownFields.length !== unknownBefore) clean.forget(schema, value);
    else if (this.walked - walkedBefore >= MIN_REMEMBERED_NODES) clean.add(schema, value);
    return pruned;
  }

  private pruneValue(value: unknown, schema: CrdSchemaNode | undefined, path: PathLink | undefined, isResource: boolean, depth: number) {
    if (Array.isArray(value)) {
      this.walked++;
      let items: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const pruned = this.prune(value[i], schema?.items, { parent: path, step: i }, false, depth + 1);
        if (pruned !== value[i]) items ??= value.slice();
        if (items) items[i] = pruned;
      }
      return items ?? value;
    }
    if (!isObject(value)) return value;
    this.walked++;
    const embedded = isResource || schema?.['x-kubernetes-embedded-resource'] === true;
    const preserve = schema?.['x-kubernetes-preserve-unknown-fields'] === true;
    const additional = typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined;
    const keys = Object.keys(value);
    // Copied only once something changes: the fields before the first change, then every kept one.
    let out: Json | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const child = value[key];
      const property = schema?.properties?.[key];
      const declared = property ?? additional;
      if (child === null && declared && !declared.nullable && !(embedded && metaFields.has(key))) {
        out ??= fieldsBefore(value, keys, i);
        continue;
      }
      let pruned: unknown = child;
      if (embedded && key === 'metadata') pruned = this.pruneMetadata(child, { parent: path, step: key });
      else if (embedded && metaFields.has(key)) pruned = child;
      else if (property || additional) pruned = this.prune(child, property ?? additional, { parent: path, step: key }, false, depth + 1);
      else if (!preserve && schema?.additionalProperties !== true) {
        this.unknownFields.push(spelled({ parent: path, step: key }));
        out ??= fieldsBefore(value, keys, i);
        continue;
      }
      if (pruned !== child) out ??= fieldsBefore(value, keys, i);
      if (out) out[key] = pruned;
    }
    return out ?? value;
  }

  private pruneMetadata(metadata: unknown, path: PathLink): unknown {
    if (!isObject(metadata)) return metadata;
    const unknown = Object.keys(metadata).filter((key) => !objectMetaFields.has(key));
    if (unknown.length === 0) return metadata;
    for (const key of unknown) this.unknownFields.push(spelled({ parent: path, step: key }));
    return Object.fromEntries(Object.entries(metadata).filter(([key]) => objectMetaFields.has(key)));
  }
}

export function pruneObject<T>(obj: T, schema: CrdSchemaNode | undefined): { object: T; unknownFields: string[] } {
  const pruner = new Pruner();
  const object = pruner.prune(obj, schema, undefined, true) as T;
  return { object, unknownFields: pruner.unknownFields.sort() };
}
