import t from 'tap';
import { duplicateJsonFields, jsonDepthError } from '../../../src/server/json-scan.js';
import { goUnescape, parseQueryFirstValues } from '../../../src/server/query.js';

t.test('query strings as Go reads them', async (t) => {
  t.same(
    { ...parseQueryFirstValues('labelSelector=a&labelSelector=b&limit=1&limit=x') },
    { labelSelector: 'a', limit: '1' },
    'the first value wins',
  );
  t.same({ ...parseQueryFirstValues('a=%zz&b=1;2&c=x+y&d&=e') }, { c: 'x y', d: '', '': 'e' }, 'bad escapes and semicolons dropped');
  const hostile = parseQueryFirstValues('__proto__=x');
  t.equal(Object.getPrototypeOf(hostile), null, 'a record without a prototype');
  t.equal(Object.getOwnPropertyDescriptor(hostile, '__proto__')?.value, 'x', '__proto__ is a parameter like any other');
  t.equal(goUnescape('%C0', false), '\uFFFD', 'bytes that are not UTF-8');
  t.equal(goUnescape('a+b', false), 'a+b', 'a plus in a path is a plus');
});

t.test('JSON depth and duplicate keys', async (t) => {
  t.equal(jsonDepthError('['.repeat(1000) + ']'.repeat(1000)), undefined);
  t.equal(jsonDepthError('['.repeat(1001) + ']'.repeat(1001)), "invalid character '[' exceeded max depth");
  t.equal(jsonDepthError(`["${'['.repeat(20_000)}"]`), undefined, 'brackets inside strings do not count');
  t.same(duplicateJsonFields('{"metadata":{"name":"a","name":"b"},"spec":{"c":[{"n":1,"n":2}]},"spec":1}'), [
    'metadata.name',
    'spec.c[0].n',
    'spec',
  ]);
  t.same(duplicateJsonFields('{"a":"}\\"","b":{"a":1}}'), [], 'quotes and braces in strings');
});
