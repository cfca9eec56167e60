// A list's JSON made in chunks: byte for byte JSON.stringify's of the whole answer, whatever the items' sizes and characters.
import t from 'tap';
import { Readable } from 'node:stream';
import { chunkedJson } from '../../../src/server/chunked-json.js';

async function bytesOf(body: Buffer | Readable): Promise<{ bytes: Buffer; chunks: Buffer[] }> {
  if (Buffer.isBuffer(body)) return { bytes: body, chunks: [body] };
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return { bytes: Buffer.concat(chunks), chunks };
}

const head = { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '7', continue: undefined } };
const item = (i: number, text: string) => ({ metadata: { name: `item-${i}` }, data: { text } });

t.test('the bytes are JSON.stringify of the whole answer', async (t) => {
  const cases: [string, unknown[]][] = [
    ['no items', []],
    ['one small item', [item(0, 'a')]],
    ['many items over many chunks', Array.from({ length: 2000 }, (_, i) => item(i, 'x'.repeat(i % 300)))],
    ['non-ASCII text (2, 3 and 4 bytes a character)', Array.from({ length: 500 }, (_, i) => item(i, 'é€😀'.repeat(i % 50)))],
    ['an item bigger than a chunk between small ones', [item(0, 'a'), item(1, 'é'.repeat(200_000)), item(2, 'b')]],
    ['undefined items, as null', [undefined, item(1, 'a')]],
  ];
  for (const [name, items] of cases) {
    const { bytes } = await bytesOf(chunkedJson(head, 'items', items, (x) => x));
    t.equal(bytes.toString(), JSON.stringify({ ...head, items }), name);
  }
  const { bytes } = await bytesOf(chunkedJson({}, 'rows', [1, 2], (x) => ({ cells: [x] })));
  t.equal(bytes.toString(), '{"rows":[{"cells":[1]},{"cells":[2]}]}', 'an empty head');
});

t.test('a small answer is one buffer; a big one a stream of chunks below the large-object size', async (t) => {
  t.ok(Buffer.isBuffer(chunkedJson(head, 'items', [item(0, 'a')], (x) => x)), 'one buffer');
  const big = chunkedJson(
    head,
    'items',
    Array.from({ length: 5000 }, (_, i) => item(i, 'x'.repeat(100))),
    (x) => x,
  );
  t.type(big, Readable);
  const { bytes, chunks } = await bytesOf(big);
  t.ok(chunks.length > 5, `${chunks.length} chunks`);
  t.ok(Math.max(...chunks.map((chunk) => chunk.length)) <= 40 * 1024, 'each chunk some 32 KiB, far below the large-object size');
  t.equal(bytes.toString(), JSON.stringify({ ...head, items: Array.from({ length: 5000 }, (_, i) => item(i, 'x'.repeat(100))) }));
});
