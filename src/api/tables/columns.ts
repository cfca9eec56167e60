/**
 * Building blocks of the built-in printers: column definitions whose
 * descriptions come from the Kubernetes OpenAPI (the same Go doc comments the
 * apiserver's SwaggerDoc() returns), and the small cell formatters that
 * several printers share.
 */
import { kubernetesDefinitions } from '../patch/schema-node.js';
import type { KubeObject, TableColumn } from '../types.js';

type Definition = { properties?: Record<string, { description?: string }> } | undefined;

/** A field's description, e.g. doc('core.v1.PodStatus', 'podIP'); definitions outside k8s.io/api are given in full. */
export function doc(definition: string, property: string): string {
  const name = definition.startsWith('io.k8s.') ? definition : `io.k8s.api.${definition}`;
  // The swagger the patch engines and decoding read too: parsed once per process, on first use.
  return (kubernetesDefinitions()[name] as Definition)?.properties?.[property]?.description ?? '';
}

const objectMeta = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

export const column = (name: string, type: TableColumn['type'], description: string, priority = 0, format = ''): TableColumn => ({
  name,
  type,
  format,
  description,
  priority,
});

export const nameColumn = (): TableColumn => column('Name', 'string', doc(objectMeta, 'name'), 0, 'name');

/** Printers declare Age as a string column holding an already rendered age. */
export const ageColumn = (): TableColumn => column('Age', 'string', doc(objectMeta, 'creationTimestamp'));

export const creationTimestampDoc = (): string => doc(objectMeta, 'creationTimestamp');

export const wideColumn = (name: string, description: string): TableColumn => column(name, 'string', description, 1);

export const containersColumn = () => wideColumn('Containers', 'Names of each container in the template.');
export const imagesColumn = () => wideColumn('Images', 'Images referenced by each container in the template.');

// ---- reading plain JSON objects safely ----

export type Json = Record<string, unknown>;

export const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
export const list = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
export const strMap = (v: unknown): Record<string, string> => obj(v) as Record<string, string>;

export const spec = (o: KubeObject): Json => obj(o.spec);
export const status = (o: KubeObject): Json => obj(o.status);
export const nameOf = (o: KubeObject): string => o.metadata.name ?? '';

/** layoutContainerCells: the containers' names and images, each comma-joined. */
export function containerCells(podSpec: unknown): [string, string] {
  const containers = list(obj(podSpec).containers);
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(',')];
}

/** The pod spec inside a workload's `spec.template`. */
export const templatePodSpec = (o: KubeObject): Json => obj(obj(spec(o).template).spec);

/** Up to three items, then " + N more..." (listWithMoreString); `<unset>` when empty. */
export function listWithMore(items: string[], max = 3): string {
  if (items.length > max) return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
  return items.length === 0 ? '<unset>' : items.join(',');
}

/** An IntOrString as Go's String() prints it. */
export const intOrString = (v: unknown): string => (typeof v === 'number' ? String(v) : str(v));
