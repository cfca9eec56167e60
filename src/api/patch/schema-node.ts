/**
 * The structure of an object at one point, as the patch engines need it:
 * which fields exist, how lists merge (x-kubernetes-list-type, list-map-keys,
 * patch-merge-key, patch-strategy) and whether maps are atomic. Built over the
 * Kubernetes swagger (built-in kinds) or a CRD's openAPIV3Schema.
 */
import { readFileSync } from 'node:fs';

export interface SchemaNode {
  /** A declared field of an object (struct); undefined if the schema does not declare it. */
  property(name: string): SchemaNode | undefined;
  /** The element schema of a list. */
  items(): SchemaNode | undefined;
  /** The value schema of a map with arbitrary keys (labels, resources.limits, ...). */
  additionalProperties(): SchemaNode | undefined;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
  readonly patchMergeKey?: string;
  /** Comma separated, e.g. "merge", "retainKeys", "merge,retainKeys", "replace". */
  readonly patchStrategy?: string;
  readonly mapType?: 'atomic' | 'granular';
  /** Neither declared fields nor a value schema: free-form JSON (RawExtension, JSON, `additionalProperties: true`). */
  readonly declaresNoFields?: boolean;
}

/** A schema object of either OpenAPI flavour, as parsed from JSON. */
export type OpenApiSchema = { readonly [keyword: string]: unknown };

export type OpenApiDefinitions = Readonly<Record<string, OpenApiSchema>>;

const asSchema = (value: unknown): OpenApiSchema | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as OpenApiSchema) : undefined;

const stringExtension = (sources: readonly OpenApiSchema[], name: string): string | undefined =>
  sources.map((s) => s[name]).find((v): v is string => typeof v === 'string');

/**
 * One node. `shape` is the schema that declares the structure (after following
 * a $ref); `sources` are where the x-kubernetes-* extensions may sit, nearest
 * first: the swagger puts list and patch extensions on the referring property,
 * map-type on the referenced definition.
 */
class OpenApiSchemaNode implements SchemaNode {
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
  readonly patchMergeKey?: string;
  readonly patchStrategy?: string;
  readonly mapType?: 'atomic' | 'granular';
  readonly declaresNoFields: boolean;
  private readonly properties = new Map<string, SchemaNode | undefined>();
  /** The item and value nodes once looked up (null: not yet): every walk of every write asks again, at every list and map. */
  private itemsNode: SchemaNode | undefined | null = null;
  private valuesNode: SchemaNode | undefined | null = null;

  constructor(
    private readonly shape: OpenApiSchema,
    sources: readonly OpenApiSchema[],
    private readonly nodeFor: (schema: OpenApiSchema) => SchemaNode,
  ) {
    this.listType = stringExtension(sources, 'x-kubernetes-list-type') as SchemaNode['listType'];
    this.mapType = stringExtension(sources, 'x-kubernetes-map-type') as SchemaNode['mapType'];
    this.patchMergeKey = stringExtension(sources, 'x-kubernetes-patch-merge-key');
    this.patchStrategy = stringExtension(sources, 'x-kubernetes-patch-strategy');
    const keys = sources.map((s) => s['x-kubernetes-list-map-keys']).find(Array.isArray);
    if (keys) this.listMapKeys = keys.filter((k): k is string => typeof k === 'string');
    this.declaresNoFields = asSchema(shape.properties) === undefined && asSchema(shape.additionalProperties) === undefined;
  }

  property(name: string): SchemaNode | undefined {
    if (!this.properties.has(name)) {
      const declared = asSchema(asSchema(this.shape.properties)?.[name]);
      this.properties.set(name, declared && this.nodeFor(declared));
    }
    return this.properties.get(name);
  }

  items(): SchemaNode | undefined {
    if (this.itemsNode === null) {
      const items = asSchema(this.shape.items);
      this.itemsNode = items && this.nodeFor(items);
    }
    return this.itemsNode;
  }

  additionalProperties(): SchemaNode | undefined {
    if (this.valuesNode === null) {
      const values = asSchema(this.shape.additionalProperties);
      this.valuesNode = values && this.nodeFor(values);
    }
    return this.valuesNode;
  }
}

const REF_PREFIX = '#/definitions/';
const hasKubernetesExtension = (schema: OpenApiSchema): boolean => Object.keys(schema).some((k) => k.startsWith('x-kubernetes-'));

/** The nodes of one swagger `definitions` object: one per definition, created on first use. */
class SwaggerGraph {
  private readonly byDefinition = new Map<string, SchemaNode | undefined>();

  constructor(private readonly definitions: OpenApiDefinitions) {}

  definitionNode(name: string): SchemaNode | undefined {
    if (!this.byDefinition.has(name)) {
      const definition = this.definitions[name];
      this.byDefinition.set(name, definition && new OpenApiSchemaNode(definition, [definition], this.nodeFor));
    }
    return this.byDefinition.get(name);
  }

  readonly nodeFor = (schema: OpenApiSchema): SchemaNode => {
    const ref = typeof schema.$ref === 'string' && schema.$ref.startsWith(REF_PREFIX) ? schema.$ref.slice(REF_PREFIX.length) : undefined;
    const definition = ref === undefined ? undefined : this.definitions[ref];
    if (ref === undefined || !definition) return new OpenApiSchemaNode(schema, [schema], this.nodeFor);
    // A bare reference shares the definition's node; one carrying its own extensions gets a node of its own.
    if (!hasKubernetesExtension(schema)) return this.definitionNode(ref) as SchemaNode;
    return new OpenApiSchemaNode(definition, [schema, definition], this.nodeFor);
  };
}

const graphs = new WeakMap<OpenApiDefinitions, SwaggerGraph>();

/** A node over swagger `definitions`, following `$ref`s lazily; nodes are shared per definitions object. */
export function openApiV2SchemaNode(definitions: OpenApiDefinitions, definitionName: string): SchemaNode | undefined {
  let graph = graphs.get(definitions);
  if (!graph) graphs.set(definitions, (graph = new SwaggerGraph(definitions)));
  return graph.definitionNode(definitionName);
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/**
 * A node over a CRD version's openAPIV3Schema. CRDs declare no patch merge
 * keys. Like the apiserver, the top-level `metadata` is described by
 * ObjectMeta's schema whatever the CRD says, so ownerReferences, finalizers and
 * labels get their list and map semantics.
 */
export function openApiV3SchemaNode(schema: OpenApiSchema): SchemaNode {
  const nodeFor = (s: OpenApiSchema): SchemaNode => new OpenApiSchemaNode(s, [s], nodeFor);
  const root = nodeFor(schema);
  const objectMeta = (): SchemaNode | undefined => openApiV2SchemaNode(kubernetesDefinitions(), OBJECT_META);
  return {
    property: (name) => (name === 'metadata' ? objectMeta() : root.property(name)),
    items: () => root.items(),
    additionalProperties: () => root.additionalProperties(),
    mapType: root.mapType,
    declaresNoFields: root.declaresNoFields,
  };
}

let definitionsCache: OpenApiDefinitions | undefined;

/** The Kubernetes swagger's `definitions`, read once. */
export function kubernetesDefinitions(): OpenApiDefinitions {
  if (!definitionsCache) {
    // src/api/patch and dist/api/patch are both three levels below the repository root.
    const file = new URL('../../../schemas/kubernetes/openapi-v2.json', import.meta.url);
    const swagger = JSON.parse(readFileSync(file, 'utf8')) as { definitions: OpenApiDefinitions };
    definitionsCache = swagger.definitions;
  }
  return definitionsCache;
}

let gvkIndex: Map<string, string> | undefined;

/** The swagger definition declaring this group/version/kind (`x-kubernetes-group-version-kind`). */
export function definitionNameForGvk(group: string, version: string, kind: string): string | undefined {
  if (!gvkIndex) {
    gvkIndex = new Map();
    for (const [name, definition] of Object.entries(kubernetesDefinitions())) {
      const gvks = definition['x-kubernetes-group-version-kind'];
      if (!Array.isArray(gvks)) continue;
      for (const gvk of gvks as { group?: string; version?: string; kind?: string }[]) {
        const key = `${gvk.group ?? ''}/${gvk.version}/${gvk.kind}`;
        if (!gvkIndex.has(key)) gvkIndex.set(key, name);
      }
    }
  }
  return gvkIndex.get(`${group}/${version}/${kind}`);
}
