// Compiles src/ and test/ to plain JavaScript in .build/ for `npm test`, so that the ~160 test processes (and the
// `kubevirt-emulator` processes some of them start) load JavaScript instead of transforming TypeScript through a
// loader: a loader costs each process about a second of CPU (measured in README "Tests"), which made a fifth of the
// suite's CPU time. The transform is esbuild's, the same tsx uses for `npx tap test/x.test.ts` during development,
// so the code that runs is the same; types are checked by `tsc --noEmit` (npm run build and .ci/run), not here.
//
// .build/ mirrors the repository: .build/src, .build/test, and links to the data the code reads relative to
// itself (schemas/, scenarios/, .tools/, test fixtures), and the package.json.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.build');

/** Files under `dir` (relative to the repository) for which `keep` says yes. */
const filesUnder = (dir, keep) =>
  readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)));

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: ['src', 'test'].flatMap((dir) => filesUnder(dir, (name) => name.endsWith('.ts'))),
  absWorkingDir: root,
  outdir: out,
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});

// Non-TypeScript files the tests load next to themselves (fixtures, the fuzzer module).
for (const file of filesUnder('test', (name) => !name.endsWith('.ts') && !name.endsWith('.py'))) {
  mkdirSync(dirname(join(out, file)), { recursive: true });
  cpSync(join(root, file), join(out, file));
}
// scripts/ for the test of the test runner; node_modules too: a test may import a file a package does not export (noVNC's decoders) by its relative path; the lock
// file keys the answers src/runtime/disk-memo.ts keeps.
for (const data of ['schemas', 'scenarios', 'scripts', '.tools', 'node_modules', 'package-lock.json'])
  symlinkSync(join('..', data), join(out, data));

// The package's own metadata (the CLI reports its version from it) with tap's configuration aimed at the compiled tests.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const { 'node-arg': _loader, ...tapConfig } = pkg.tap;
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify({ ...pkg, scripts: {}, tap: { ...tapConfig, include: ['test/**/*.test.js'] } }, null, 2)}\n`,
);
