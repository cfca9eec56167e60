import t from 'tap';
import { FieldSet, type FieldPath } from '../../../src/api/patch/field-set.js';
import { decodeManagedFields, encodeManagedFields } from '../../../src/api/patch/managed-fields.js';
import { deepFreeze } from '../../../src/runtime/deep-freeze.js';

const set = (...paths: string[][]) => FieldSet.of(paths);
const paths = (s: FieldSet): FieldPath[] => s.paths();

const A = set(['f:spec', 'f:replicas'], ['f:spec', 'f:template', 'f:metadata'], ['f:metadata', 'f:labels', 'f:app']);
const B = set(['f:spec', 'f:replicas'], ['f:status', 'f:phase'], ['f:spec', 'f:template']);

t.test('set operations agree with their path-by-path definitions', async (t) => {
  const all = [...paths(A), ...paths(B)];
  t.same(paths(A.union(B)), paths(FieldSet.of(all)));
  t.same(paths(A.difference(B)), paths(FieldSet.of(paths(A).filter((p) => !B.has(p)))));
  t.same(paths(A.intersection(B)), paths(FieldSet.of(paths(A).filter((p) => B.has(p)))));
  t.same(A.difference(B).toFieldsV1(), { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:template': { 'f:metadata': {} } } });
  t.same(
    A.union(B).toFieldsV1()['f:spec'],
    { 'f:replicas': {}, 'f:template': { '.': {}, 'f:metadata': {} } },
    'a member with members below keeps its "."',
  );
  t.ok(A.intersection(set(['f:other'])).isEmpty());
});

t.test('children are kept in encoding order whatever order they come in: fields, keys, values, indexes', async (t) => {
  const scrambled = { 'i:0': {}, 'v:"b"': {}, 'k:{"name":"x"}': { '.': {}, 'f:a': {} }, 'f:z': {}, 'f:a': {}, 'v:"a"': {} };
  const decoded = FieldSet.fromFieldsV1(scrambled);
  t.same(Object.keys(decoded.toFieldsV1()), ['f:a', 'f:z', 'k:{"name":"x"}', 'v:"a"', 'v:"b"', 'i:0']);
  t.same(Object.keys(decoded.toFieldsV1()['k:{"name":"x"}']), ['.', 'f:a']);
  const inserted = set(['i:0'], ['v:"b"'], ['f:z'], ['k:{"name":"x"}', 'f:a'], ['f:a'], ['v:"a"'], ['k:{"name":"x"}']);
  t.same(paths(inserted), paths(decoded));
  const other = set(['f:b'], ['f:z'], ['k:{"name":"x"}', 'f:c'], ['i:1']);
  t.same(paths(inserted.union(other)), paths(FieldSet.of([...paths(inserted), ...paths(other)])));
  t.same(
    paths(inserted.difference(other)),
    paths(inserted).filter((p) => !other.has(p)),
  );
  t.same(paths(inserted.intersection(other)), [['f:z']]);
  t.equal(inserted.child('k:{"name":"x"}')?.isMember, true);
  t.equal(inserted.child('f:b'), undefined);
});

t.test('an operation that changes nothing answers its operand', async (t) => {
  const empty = new FieldSet();
  t.equal(A.union(empty), A);
  t.equal(empty.union(A), A);
  t.equal(A.difference(empty), A);
  t.equal(A.difference(set(['f:unrelated'])), A);
  t.not(A.difference(set(['f:spec', 'f:replicas'])), A);
  t.equal(A.union(set(['f:spec', 'f:replicas'], ['f:metadata', 'f:labels', 'f:app'])), A, 'a union with paths A owns is A');
  const grown = A.union(set(['f:spec', 'f:template', 'f:metadata'], ['f:spec', 'f:paused']));
  t.not(grown, A);
  t.same(paths(grown), paths(FieldSet.of([...paths(A), ['f:spec', 'f:paused']])));
  t.equal(grown.child('f:metadata'), A.child('f:metadata'), 'an untouched subtree is shared');
  const prefix = set(['f:spec']);
  t.ok(set(['f:spec', 'f:replicas']).union(prefix).has(['f:spec']), 'a path that is only a prefix in A becomes a member');
});

t.test('an untouched manager keeps its stored encoding; a client-written encoding is written anew', async (t) => {
  const encoded = encodeManagedFields([{ manager: 'm', operation: 'Update', apiVersion: 'v1', time: 'T', fields: A }]);
  const stored = deepFreeze(encoded);
  const again = encodeManagedFields(decodeManagedFields(stored).values());
  t.equal(again[0].fieldsV1, stored[0].fieldsV1, 'the stored fieldsV1 object is reused');
  const fromClient = deepFreeze([
    { ...encoded[0], fieldsV1: { 'f:spec': { 'f:replicas': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } } },
  ]);
  const rewritten = encodeManagedFields(decodeManagedFields(fromClient).values());
  t.not(rewritten[0].fieldsV1, fromClient[0].fieldsV1);
  t.same(Object.keys(rewritten[0].fieldsV1 ?? {}), ['f:metadata', 'f:spec'], 'in canonical order');
});

t.test('equal subtrees of sets built apart are one set once encoded, and leaves are the shared leaf', async (t) => {
  const status = (uid: string) =>
    set(['f:metadata', 'f:ownerReferences', `k:{"uid":"${uid}"}`], ['f:status', 'f:phase']).union(
      set(['f:status', 'f:conditions', 'k:{"type":"Ready"}', 'f:status']),
    );
  const [a, b] = [status('a'), status('b')];
  t.not(a.child('f:status'), b.child('f:status'), 'unions build fresh nodes');
  const [encodedA, encodedB] = [a.toFieldsV1(), b.toFieldsV1()];
  t.equal(encodedA['f:status'], encodedB['f:status'], 'equal encodings are one pooled object');
  t.equal(a.child('f:status'), b.child('f:status'), 'and their sets are one set');
  t.not(a.child('f:metadata'), b.child('f:metadata'), 'what differs stays apart');
  t.equal(a.child('f:status')?.child('f:phase'), FieldSet.leaf);
  t.same(paths(b), paths(status('b')), 'the set is unchanged');
  t.same(FieldSet.fromFieldsV1(encodedB), b);
});
