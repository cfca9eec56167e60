/**
 * Credentials kept in the data directory: created once (owner-only, 0600)
 * and reused, so kubeconfigs and tokens from an earlier run stay valid.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The file's text when `isUsable` accepts it; otherwise `create()`'s text,
 * published atomically. Two emulators starting together on one data
 * directory agree: the first to publish wins and the other reads its file.
 */
export async function loadOrCreatePrivateFile(path: string, isUsable: (text: string) => boolean, create: () => string): Promise<string> {
  const existing = await readIfExists(path);
  if (existing !== undefined && isUsable(existing)) return existing;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const staging = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const text = create();
  await writeFile(staging, text, { mode: 0o600 });
  try {
    if (existing !== undefined) {
      await rename(staging, path);
      return text;
    }
    await link(staging, path);
    return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readIfExists(path)) ?? text;
  } finally {
    await rm(staging, { force: true });
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
