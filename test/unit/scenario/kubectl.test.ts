/**
 * Which kubectl scenario steps and benchmarks run: `$KUBECTL`, else the first
 * executable `kubectl` on PATH, else an error that says how to get one.
 */
import t from 'tap';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveKubectl } from '../../../src/scenario/kubectl.js';
import type { TeardownHost } from '../../helpers/cluster.js';

async function directoryWith(t: TeardownHost, files: Record<string, number>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubectl-resolve-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [name, mode] of Object.entries(files)) {
    await writeFile(join(dir, name), '#!/bin/sh\n');
    await chmod(join(dir, name), mode);
  }
  return dir;
}

t.test('the first executable kubectl on PATH', async (t) => {
  const notExecutable = await directoryWith(t, { kubectl: 0o644 });
  const executable = await directoryWith(t, { kubectl: 0o755 });
  t.equal(resolveKubectl({ PATH: `${notExecutable}:${executable}` }), join(executable, 'kubectl'));
});

t.test('$KUBECTL wins over PATH', async (t) => {
  const onPath = await directoryWith(t, { kubectl: 0o755 });
  const chosen = await directoryWith(t, { 'kubectl-1.32': 0o755 });
  t.equal(resolveKubectl({ PATH: onPath, KUBECTL: join(chosen, 'kubectl-1.32') }), join(chosen, 'kubectl-1.32'));
});

t.test('a $KUBECTL that is not executable is named in the error', async (t) => {
  const dir = await directoryWith(t, { kubectl: 0o644 });
  t.throws(() => resolveKubectl({ KUBECTL: join(dir, 'kubectl') }), {
    message: `$KUBECTL is ${join(dir, 'kubectl')}, which is not an executable file`,
  });
});

t.test('no kubectl anywhere says how to install one', async (t) => {
  const empty = await directoryWith(t, {});
  t.throws(() => resolveKubectl({ PATH: empty }), {
    message: 'kubectl was not found on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/) or set $KUBECTL to its path',
  });
});
