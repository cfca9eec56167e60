/**
 * CDI as data: the CRDs of CDI v1.64.0 (schemas/cdi/crds/, from the operator's
 * crds_generated.go) and what its operator leaves beside them (schemas/cdi/install.yaml).
 * Parsed once per process; the assembly point creates them at start, before the
 * simulated CDI controller runs, as `kubectl apply` of cdi-operator.yaml and cdi-cr.yaml
 * followed by the operator's deployment would.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../api/types.js';
import { yamlDocuments } from '../runtime/yaml-data.js';

const schemas = new URL('../../schemas/cdi/', import.meta.url);

let objects: readonly KubeObject[] | undefined;

export function cdiInstallObjects(): readonly KubeObject[] {
  if (objects) return objects;
  const crdDir = fileURLToPath(new URL('crds/', schemas));
  const crds = readdirSync(crdDir)
    .sort()
    .map((file) => JSON.parse(readFileSync(`${crdDir}/${file}`, 'utf8')) as KubeObject);
  const install = (yamlDocuments(readFileSync(new URL('install.yaml', schemas), 'utf8')) as Array<KubeObject | null>).filter(
    (object): object is KubeObject => !!object,
  );
  objects = [...crds, ...install];
  return objects;
}
