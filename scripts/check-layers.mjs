#!/usr/bin/env node
// The layering rules of the README's architecture section, checked on every relative import under src/
// (static, `import type`, re-exports and dynamic import()). Prints each violation and exits 1 if any.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const src = join(root, 'src');

/** [importing layer, layers it must not import, why]. A layer is a folder under src/. */
const forbidden = [
  [
    ['cluster', 'api', 'storage', 'runtime', 'admission', 'kube', 'pki', 'client', 'auth'],
    ['kubevirt'],
    'Kubernetes knows nothing of KubeVirt',
  ],
  [
    ['kubevirt', 'cluster', 'cdi'],
    ['server', 'storage'],
    'components act only through the API (the Client), never the HTTP layer or the store',
  ],
  [['kubevirt'], ['cluster'], 'KubeVirt uses the shared kube/ library, not the cluster simulation'],
  [['cdi'], ['kubevirt', 'cluster'], 'CDI is an add-on of its own: KubeVirt and the cluster reach it only through the API'],
  [
    ['kubevirt', 'cluster', 'api', 'storage', 'runtime', 'admission', 'kube', 'pki', 'client', 'auth', 'simulation', 'server'],
    ['cdi'],
    'only the assembly point knows CDI is installed',
  ],
  [['cluster'], ['simulation/faults.ts'], "the cluster does not know the emulator's Fault objects"],
  [['storage'], ['server', 'admission', 'auth'], 'the store sits under the API server, not beside it'],
  [['kube', 'pki', 'runtime'], ['cluster', 'server', 'storage', 'scenario', 'cli'], 'shared libraries stay below every system'],
  [['simulation'], ['cluster', 'kubevirt', 'server'], 'faults act on what the assembly point hands them'],
  [['server'], ['cluster', 'kubevirt'], 'components plug into the HTTP layer through api/extension-points.ts'],
];

/** Folders that must stay small enough to read: at most this many files directly inside. */
const maxTopLevelFiles = { 'kubevirt/controller': 8 };
const maxFilesPerFolder = 20;

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.ts') ? [path] : [];
  });

const under = (path, layer) => path === layer || path.startsWith(`${layer}/`);
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.\.?\/[^'"]+)['"]/gm;

const problems = [];
for (const file of files(src)) {
  const from = relative(src, file);
  for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const target = relative(src, resolve(dirname(file), match[1])).replace(/\.js$/, '.ts');
    for (const [importers, targets, why] of forbidden) {
      if (!importers.some((layer) => under(from, layer))) continue;
      const hit = targets.find((layer) => under(target, layer));
      if (hit) problems.push(`src/${from} imports src/${target}: ${importers.join('/')} must not import ${hit} (${why})`);
    }
  }
}

const dirs = (dir) => [
  dir,
  ...readdirSync(dir)
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isDirectory())
    .flatMap(dirs),
];
for (const dir of dirs(src)) {
  const rel = relative(src, dir);
  const count = readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile()).length;
  const max = maxTopLevelFiles[rel] ?? maxFilesPerFolder;
  if (count > max) problems.push(`src/${rel} has ${count} files; at most ${max} (split it by feature)`);
}

for (const problem of problems) console.error(problem);
if (problems.length) {
  console.error(`check-layers: ${problems.length} violation(s)`);
  process.exit(1);
}
console.log('check-layers: ok');
