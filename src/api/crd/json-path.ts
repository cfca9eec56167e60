/**
 * Field paths as Kubernetes prints them: `spec.template.volumes[0].name`.
 */

/** Appends a map key or a list index to a field path. */
export function childPath(parent: string, step: string | number): string {
  if (typeof step === 'number') return `${parent}[${step}]`;
  return parent ? `${parent}.${step}` : step;
}

/** The field path of a JSON pointer into `root` (indexes of arrays become `[i]`). */
export function pointerToFieldPath(root: unknown, pointer: string): string {
  if (!pointer) return '';
  let path = '';
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path = childPath(path, Number(key));
      node = node[Number(key)];
    } else {
      path = childPath(path, key);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}
