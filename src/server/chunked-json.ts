/**
 * A list's JSON (a List, or a Table of it) made in chunks of bounded size as
 * the client reads it, rather than as one string: the bytes are exactly
 * JSON.stringify's of the whole answer. A list of thousands of objects is
 * tens of MiB, and V8 allocates a string that big in its large-object space,
 * which counts as old generation: every few such answers started a full
 * mark-compact of the whole heap (1.5 GB with 10,000 Running VMs), so serving
 * a page cost in proportion to the heap. Here the items are encoded a batch
 * of some 32 KiB at a time, each batch's string dies young, and the stream
 * holds a chunk or two while the client reads. An answer that fits in one
 * chunk is sent whole, with its length, as before; a longer one goes
 * chunked, as kube-apiserver streams a large answer.
 */
import { Readable } from 'node:stream';

/** Characters a chunk aims at: its strings stay far below V8's large-object size (128 KiB), even two bytes a character. */
const chunkChars = 32 * 1024;

/**
 * The JSON of `head` with one more field, `field`, holding `items` as `encode` turns each into a JSON value: one
 * Buffer when it fits in a chunk, else a stream that encodes the items, a batch at a time, as it is read.
 */
export function chunkedJson<T>(head: object, field: string, items: readonly T[], encode: (item: T) => unknown): Buffer | Readable {
  // The first item's size tells how many go in a batch; a list that fits in one is sent whole.
  const itemChars = items.length === 0 ? 0 : JSON.stringify([encode(items[0])]).length - 1;
  if (itemChars * items.length <= chunkChars) return Buffer.from(JSON.stringify({ ...head, [field]: items.map(encode) }));
  return Readable.from(encodeChunks(head, field, items, encode, itemChars), { objectMode: false });
}

function* encodeChunks<T>(head: object, field: string, items: readonly T[], encode: (item: T) => unknown, itemChars: number) {
  const headJson = JSON.stringify(head);
  let text = `${headJson.slice(0, -1)}${headJson === '{}' ? '' : ','}${JSON.stringify(field)}:[`;
  let perBatch = Math.max(1, Math.floor(chunkChars / itemChars));
  for (let start = 0; start < items.length; ) {
    // One JSON.stringify per batch, as fast as one for the whole list; "[...]" loses its brackets to join the others.
    const batch = items.slice(start, start + perBatch).map(encode);
    const json = JSON.stringify(batch);
    yield Buffer.from(`${text}${start === 0 ? '' : ','}${json.slice(1, -1)}`);
    text = '';
    start += batch.length;
    perBatch = Math.max(1, Math.floor((chunkChars * batch.length) / json.length));
  }
  yield Buffer.from(`${text}]}`);
}
