/**
 * The guest's files as one user reaches them through a file transfer (the
 * SFTP subsystem, `scp -t`/`scp -f`): relative paths start at the user's home,
 * and errors are the errno a Linux guest answers, so each protocol can word
 * them its own way. Permissions are simplified: root may write anywhere, other
 * users under their home and /tmp; anyone may read.
 */
import { type FileTree, normalizePath } from '../../../simulation/shell/session.js';
import type { GuestUser } from './accounts.js';

export type FileError = 'ENOENT' | 'EACCES' | 'EISDIR' | 'ENOTDIR' | 'EEXIST' | 'ENOTEMPTY';

/** strerror(3)'s wording, as scp and a shell print it. */
export const FILE_ERROR_TEXT: Record<FileError, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
};

export interface FileStat {
  directory: boolean;
  size: number;
  /** Permission bits and type, as stat(2)'s st_mode. */
  mode: number;
  uid: number;
  gid: number;
  modifiedMs: number;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

export class UserFiles {
  constructor(
    private readonly tree: FileTree,
    readonly user: GuestUser,
    /** When the guest booted: the time of the image's own files and directories. */
    private readonly bootMs: number,
  ) {}

  /** An absolute path with `.` and `..` resolved; a relative one starts at the home directory. */
  resolve(path: string): string {
    return normalizePath(path.startsWith('/') ? path : `${this.user.home}/${path}`);
  }

  stat(path: string): FileStat | undefined {
    const bytes = this.tree.readBytes(path);
    const directory = bytes === undefined && this.tree.isDirectory(path);
    if (bytes === undefined && !directory) return undefined;
    const owned = this.owns(path);
    return {
      directory,
      size: bytes?.length ?? 4096,
      mode: directory ? S_IFDIR | 0o755 : S_IFREG | 0o644,
      uid: owned ? this.user.uid : 0,
      gid: owned ? this.user.gid : 0,
      modifiedMs: this.tree.modifiedMs(path) ?? this.bootMs,
    };
  }

  read(path: string): Buffer | FileError {
    const bytes = this.tree.readBytes(path);
    if (bytes !== undefined) return bytes;
    return this.tree.isDirectory(path) ? 'EISDIR' : 'ENOENT';
  }

  /** Creates or replaces a file; its directory must exist. */
  write(path: string, bytes: Buffer): FileError | undefined {
    const refused = this.refusesNewEntry(path);
    if (refused) return refused;
    if (this.tree.readBytes(path) === undefined && this.tree.isDirectory(path)) return 'EISDIR';
    this.tree.write(path, bytes);
    return undefined;
  }

  setModified(path: string, ms: number): void {
    this.tree.setModified(path, ms);
  }

  mkdir(path: string): FileError | undefined {
    if (this.stat(path)) return 'EEXIST';
    const refused = this.refusesNewEntry(path);
    if (refused) return refused;
    this.tree.directories.add(path);
    return undefined;
  }

  /** Names in a directory, sorted. */
  list(path: string): string[] | FileError {
    const stat = this.stat(path);
    if (!stat) return 'ENOENT';
    return stat.directory ? this.tree.list(path) : 'ENOTDIR';
  }

  remove(path: string): FileError | undefined {
    const stat = this.stat(path);
    if (!stat) return 'ENOENT';
    if (stat.directory) return 'EISDIR';
    if (!this.writable(path)) return 'EACCES';
    this.tree.remove(path);
    return undefined;
  }

  rmdir(path: string): FileError | undefined {
    const stat = this.stat(path);
    if (!stat) return 'ENOENT';
    if (!stat.directory) return 'ENOTDIR';
    if (!this.writable(path)) return 'EACCES';
    if (this.tree.list(path).length > 0) return 'ENOTEMPTY';
    this.tree.directories.delete(path);
    return undefined;
  }

  /** Renames a file (directories are not moved). */
  rename(from: string, to: string): FileError | undefined {
    const stat = this.stat(from);
    if (!stat) return 'ENOENT';
    if (stat.directory) return 'EACCES';
    const refused = this.refusesNewEntry(to) ?? (this.writable(from) ? undefined : 'EACCES');
    if (refused) return refused;
    this.tree.rename(from, to);
    return undefined;
  }

  /** Why a new file or directory may not be made at `path`: its parent is missing or not writable. */
  private refusesNewEntry(path: string): FileError | undefined {
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    if (this.tree.readBytes(parent) !== undefined) return 'ENOTDIR';
    if (!this.tree.isDirectory(parent)) return 'ENOENT';
    return this.writable(path) ? undefined : 'EACCES';
  }

  private writable(path: string): boolean {
    return this.user.uid === 0 || this.owns(path) || path.startsWith('/tmp/');
  }

  private owns(path: string): boolean {
    return path === this.user.home || path.startsWith(`${this.user.home}/`);
  }
}
