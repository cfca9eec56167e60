/**
 * The embedded backend: one SQLite file, as k3s keeps a cluster through kine.
 * `objects` holds the current version of every object, `history` the recent
 * events (with the state before each, for watches and reads at a past
 * revision), `meta` the revision counter and the compacted revision; all
 * three change in the one transaction of a batch, so a crash leaves either
 * the whole batch or none of it.
 *
 * The connection holds SQLite's exclusive lock for its lifetime: a second
 * emulator on the same file fails at once, and the kernel drops the lock of a
 * killed process, so nothing stays stuck.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { freeze } from 'immer';
import type { KubeObject } from '../api/types.js';
import type { ObjectKey, StorageBackend, StoredState } from './backend.js';
import type { StoreEvent, StoreEventType } from './store.js';

/** PRAGMA application_id of a kubevirt-emulator state file ("KVE1"): anything else is not ours to touch. */
const APPLICATION_ID = 0x4b564531;
const SCHEMA_VERSION = 1;

/** A state file that cannot be used; the message says why and what to do, for the CLI to print. */
export class StateFileError extends Error {
  override name = 'StateFileError';

  constructor(
    message: string,
    /** Another emulator holds the file's lock. */
    readonly inUse = false,
  ) {
    super(message);
  }
}

const SCHEMA = `
  CREATE TABLE objects (
    storage_key TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    value TEXT NOT NULL, expires_at INTEGER,
    PRIMARY KEY (storage_key, namespace, name)
  ) WITHOUT ROWID;
  CREATE TABLE history (
    revision INTEGER PRIMARY KEY, type TEXT NOT NULL, storage_key TEXT NOT NULL, object TEXT NOT NULL, previous TEXT
  );
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO meta VALUES ('revision', 0), ('compacted', 0);
`;

interface HistoryRow {
  revision: number;
  type: StoreEventType;
  storage_key: string;
  object: string;
  previous: string | null;
}

export class SqliteBackend implements StorageBackend {
  private readonly db: Database.Database;
  private readonly statements;
  private lastRevision = 0;

  constructor(readonly path: string) {
    // Created owner-only before SQLite opens it; SQLite gives its -wal file the same mode.
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    this.db = new Database(path, { timeout: 0 });
    try {
      this.open();
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.statements = {
      begin: this.db.prepare('BEGIN'),
      commit: this.db.prepare('COMMIT'),
      rollback: this.db.prepare('ROLLBACK'),
      put: this.db.prepare(
        `INSERT INTO objects (storage_key, namespace, name, value, expires_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      ),
      remove: this.db.prepare('DELETE FROM objects WHERE storage_key = ? AND namespace = ? AND name = ?'),
      event: this.db.prepare('INSERT INTO history (revision, type, storage_key, object, previous) VALUES (?, ?, ?, ?, ?)'),
      setMeta: this.db.prepare('UPDATE meta SET value = ? WHERE key = ?'),
      trimHistory: this.db.prepare('DELETE FROM history WHERE revision <= ?'),
    };
  }

  private open(): void {
    try {
      // Exclusive: the lock is held until close (WAL then needs no shared-memory file). Reading the header takes it,
      // so a file in use, or no database at all, fails here, before anything is written.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.checkOwnership();
      this.db.pragma('journal_mode = WAL');
      // NORMAL: a commit is in the WAL file (the kernel's page cache) before its responses are sent, so a killed or
      // crashed emulator loses no acknowledged write; the WAL is fsynced at each checkpoint, so a power loss may drop
      // the last commits but never corrupts the file. FULL would fsync every batch: ~10 ms here, with the event loop
      // blocked (better-sqlite3 is synchronous), which doubled the time of a KubeVirt install: the trade etcd offers
      // test and development clusters with --unsafe-no-fsync, but here without any loss on a crash of the process.
      this.db.pragma('synchronous = NORMAL');
      this.db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (error) {
      throw this.openError(error as Error & { code?: string });
    }
  }

  /** Creates the schema in an empty file; refuses a database of another program or of another format. */
  private checkOwnership(): void {
    const applicationId = this.db.pragma('application_id', { simple: true }) as number;
    const tables = this.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
    if (applicationId === 0 && tables.n === 0) {
      this.db.exec(`BEGIN; ${SCHEMA} PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT`);
      return;
    }
    if (applicationId !== APPLICATION_ID) {
      throw new StateFileError(`${this.path} is an SQLite database of another program, not a kubevirt-emulator state file; left untouched`);
    }
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version !== SCHEMA_VERSION) {
      throw new StateFileError(`${this.path} has state format ${version}; this kubevirt-emulator reads format ${SCHEMA_VERSION}`);
    }
  }

  private openError(error: Error & { code?: string }): Error {
    if (error instanceof StateFileError) return error;
    if (error.code === 'SQLITE_BUSY') {
      return new StateFileError(
        `${this.path} is in use by another kubevirt-emulator; stop it first, or give this one another --data-dir`,
        true,
      );
    }
    if (error.code === 'SQLITE_NOTADB' || error.code === 'SQLITE_CORRUPT') {
      return new StateFileError(
        `${this.path} is not a usable state file (${error.message}); left untouched: move it away or run \`kubevirt-emulator reset\``,
      );
    }
    return error;
  }

  load(historyCapacity: number): StoredState {
    const meta = new Map(
      (this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: number }[]).map((r) => [r.key, r.value]),
    );
    const revision = meta.get('revision') ?? 0;
    this.lastRevision = revision;
    const objects = (
      this.db.prepare('SELECT storage_key, namespace, name, value, expires_at FROM objects').all() as {
        storage_key: string;
        namespace: string;
        name: string;
        value: string;
        expires_at: number | null;
      }[]
    ).map((row) => ({
      key: { storageKey: row.storage_key, namespace: row.namespace, name: row.name },
      object: parse(row.value),
      ...(row.expires_at !== null && { expiresAtMs: row.expires_at }),
    }));
    const rows = this.db
      .prepare('SELECT revision, type, storage_key, object, previous FROM history ORDER BY revision DESC LIMIT ?')
      .all(historyCapacity) as HistoryRow[];
    rows.reverse();
    // What the ring cannot hold is gone for good, as after a compaction.
    if (rows.length > 0) this.statements.trimHistory.run(rows[0].revision - 1);
    const history = rows.map(
      (row): StoreEvent => ({
        type: row.type,
        storageKey: row.storage_key,
        object: parse(row.object),
        ...(row.previous !== null && { previous: parse(row.previous) }),
        resourceVersion: row.revision,
      }),
    );
    return { revision, compactedRevision: meta.get('compacted') ?? 0, objects, history };
  }

  write(event: StoreEvent, key: ObjectKey, expiresAtMs: number | undefined): void {
    const s = this.statements;
    if (!this.db.inTransaction) s.begin.run();
    const value = JSON.stringify(event.object);
    if (event.type === 'DELETED') s.remove.run(key.storageKey, key.namespace, key.name);
    else s.put.run(key.storageKey, key.namespace, key.name, value, expiresAtMs ?? null);
    const previous = event.previous === undefined ? null : JSON.stringify(event.previous);
    s.event.run(event.resourceVersion, event.type, key.storageKey, value, previous);
    this.lastRevision = event.resourceVersion;
  }

  commit(): void {
    if (!this.db.inTransaction) return;
    try {
      this.statements.setMeta.run(this.lastRevision, 'revision');
      this.statements.commit.run();
    } catch (error) {
      this.discard();
      throw error;
    }
  }

  /** Rolls back the open batch after a failed write or commit. */
  discard(): void {
    if (this.db.inTransaction) this.statements.rollback.run();
  }

  compact(compactedRevision: number, historyFrom: number): void {
    this.db.transaction(() => {
      this.statements.trimHistory.run(historyFrom);
      this.statements.setMeta.run(compactedRevision, 'compacted');
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

const parse = (text: string): KubeObject => freeze(JSON.parse(text) as KubeObject, true);
