// Compiles the tests to plain JavaScript in .build/ for `npm test`: each test file bundled with what it imports (src/,
// test helpers, packages), so that its process loads a few files instead of reading, linking and evaluating some
// thousand modules one by one through Node's ESM loader (about 0.4 CPU-s for a process that loads the emulator, 0.1 for
// one that loads only tap). Bundled together in one esbuild run with code splitting: a module is in one chunk shared
// by every test that imports it (.build/chunks/), so a module is evaluated once per process and a package installed
// once is one copy. src/cli/main is bundled too, as the `kubevirt-emulator` the tests start (test/helpers/cli-process).
// The transform is esbuild's, the same tsx uses for `npx tap test/x.test.ts` during development, so the code that runs
// is the same; types are checked by `tsc --noEmit` (npm run build and .ci/run), not here.
//
// .build/ mirrors the repository: .build/test, .build/src/cli/main.js, and links to the data the code reads relative
// to itself (schemas/, scenarios/, .tools/, test fixtures), and the package.json. A module that finds its data from
// `import.meta.url` (or a package from `__dirname`) is given the place it would have without bundling, since its
// chunk lives elsewhere.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.build');

/** Files under `dir` (relative to the repository) for which `keep` says yes. */
const filesUnder = (dir, keep) =>
  readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)));

/**
 * Each module's own location where the bundle would move it: the project's modules get the URL of their file in
 * .build/ as if compiled one by one (their relative paths to schemas/, fixtures and src/cli/main hold there), a
 * package's the file it was read from.
 */
const ownLocations = {
  name: 'own-locations',
  setup(esbuild) {
    // A package imported with import() stays a package Node loads: esbuild's chunk of a CommonJS package has only its
    // default export, where Node's import() also gives its named ones (`const { PNG } = await import('pngjs')`).
    esbuild.onResolve({ filter: /^[^./]/ }, ({ kind, path }) => (kind === 'dynamic-import' ? { path, external: true } : undefined));
    esbuild.onLoad({ filter: /\.(ts|mjs)$/ }, async ({ path }) => {
      if (path.includes('/node_modules/')) return undefined;
      const compiled = pathToFileURL(join(out, relative(root, path)).replace(/\.ts$/, '.js')).href;
      const source = await readFile(path, 'utf8');
      return { contents: source.replaceAll('import.meta.url', JSON.stringify(compiled)), loader: path.endsWith('.ts') ? 'ts' : 'js' };
    });
    esbuild.onLoad({ filter: /\/node_modules\/.*\.[cm]?js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (!/__dirname|__filename|import\.meta/.test(source)) return undefined;
      const contents = /\bimport\.meta\b/.test(source)
        ? source
            .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(path).href))
            .replaceAll('import.meta.dirname', JSON.stringify(dirname(path)))
            .replaceAll('import.meta.filename', JSON.stringify(path))
        : // CommonJS: esbuild wraps the module in a function, where these are its own.
          `var __filename = ${JSON.stringify(path)}, __dirname = ${JSON.stringify(dirname(path))};\n${source}`;
      return { contents, loader: 'js', resolveDir: dirname(path) };
    });
  },
};

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [...filesUnder('test', (name) => name.endsWith('.test.ts')), 'src/cli/main.ts'],
  absWorkingDir: root,
  outdir: out,
  outbase: '.',
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // Packages with native addons (binding.gyp) load their .node files from their own directory.
  external: ['better-sqlite3', 'ssh2'],
  plugins: [ownLocations],
  // A CommonJS package's require() of a Node built-in (or of what esbuild left to run time) needs a require.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // Not keepNames: where two modules' top-level names meet in a chunk one is renamed (`isPodReady2`), and keeping the
  // old name costs a defineProperty at every closure's creation, a fifth of an emulator's start. The project's error
  // classes name themselves (`override name = 'StorageError'`), and nothing reads a function's name.
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});

// Non-TypeScript files the tests load next to themselves (fixtures).
for (const file of filesUnder('test', (name) => !name.endsWith('.ts') && !name.endsWith('.py'))) {
  mkdirSync(dirname(join(out, file)), { recursive: true });
  cpSync(join(root, file), join(out, file));
}
// scripts/ for the test of the test runner; node_modules for the packages left to Node (native addons, import()) and
// for ajv's runtime that compiled validators require; the lock file keys the answers src/runtime/disk-memo.ts keeps.
for (const data of ['schemas', 'scenarios', 'scripts', '.tools', 'node_modules', 'package-lock.json'])
  symlinkSync(join('..', data), join(out, data));

// The package's own metadata (the CLI reports its version from it) with tap's configuration aimed at the compiled tests.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const { 'node-arg': _loader, ...tapConfig } = pkg.tap;
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify({ ...pkg, scripts: {}, tap: { ...tapConfig, include: ['test/**/*.test.js'] } }, null, 2)}\n`,
);
