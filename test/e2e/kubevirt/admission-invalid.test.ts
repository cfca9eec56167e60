/**
 * Acceptance 3 of the virt-api issue with the real kubectl: every invalid
 * manifest of the shared table (test/unit/kubevirt/api/admission/
 * invalid-manifests.ts) is rejected by `kubectl apply` with the message
 * virt-api gives (kubevirt-behaviour.md §3.6). One `kubectl apply -f` of a
 * multi-document file: kubectl tries every document and prints one error line
 * per failed document, in document order.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { withEmulator } from '../../helpers/cluster.js';
import { invalidManifests } from '../../unit/kubevirt/api/admission/invalid-manifests.js';

const rows = invalidManifests.filter((row) => !row.notThroughApi);
t.ok(rows.length >= 30, `${rows.length} invalid manifests through kubectl`);

/** kubectl's line for one failed document: the reason kubectl names from the Status (none for a reason-less 400). */
function expectedLine(file: string, row: (typeof rows)[number]): string {
  const reason = row.apiServerMessage || !row.code ? ' (Invalid)' : '';
  const message = row.apiServerMessage ?? `admission webhook "${row.webhook}" denied the request: ${row.message}`;
  return `Error from server${reason}: error when creating "${file}": ${message}`;
}

t.test('kubectl apply rejects each invalid manifest with virt-api message', async (t) => {
  const fixture = await withEmulator(t, { workers: 1, installKubeVirt: true });
  const file = join(fixture.kubeconfigPath, '..', 'invalid.yaml');
  await writeFile(file, rows.map((row) => stringify(row.object)).join('---\n'));

  const applied = await fixture.kubectl(['apply', '-n', 'default', '-f', file]);
  t.not(applied.code, 0);
  t.equal(applied.stdout, '', 'nothing was created or configured');
  const lines = applied.stderr.trimEnd().split('\n');
  t.equal(lines.length, rows.length, 'one error per document');
  for (const [i, row] of rows.entries()) t.equal(lines[i], expectedLine(file, row), row.what);

  const left = await fixture.kubectl(['get', 'vm,vmi,vmim', '-n', 'default', '-o', 'name']);
  t.equal(left.stdout, '', 'no object was stored');
});
