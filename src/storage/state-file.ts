/**
 * The state file `serve` keeps the cluster in: <data dir>/state.db, SQLite.
 * Opening it takes its lock; resetting it removes it with its WAL, unless a
 * running emulator holds the lock.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { SqliteBackend, StateFileError } from './sqlite-backend.js';

export const STATE_FILE_NAME = 'state.db';

/** Where `serve` keeps certificates, tokens and the cluster unless told otherwise. */
export const defaultDataDir = (): string => join(homedir(), '.kubevirt-emulator');

export const stateFileIn = (dataDir: string): string => join(dataDir, STATE_FILE_NAME);

/** Opens (creating it and its directory, owner-only, when absent) and locks the state file. */
export function openStateFile(path: string): SqliteBackend {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return new SqliteBackend(path);
}

/** Deletes the state file; refuses while an emulator uses it. A file that is not a usable state file is deleted too. */
export function resetStateFile(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    new SqliteBackend(path).close();
  } catch (error) {
    if (error instanceof StateFileError && error.inUse) throw error;
  }
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
  return true;
}
