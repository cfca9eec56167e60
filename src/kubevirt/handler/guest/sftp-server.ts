/**
 * The guest's SFTP subsystem (what OpenSSH's sftp-server gives a client such
 * as `sftp`, `scp` in its SFTP mode or ssh2's client): open, read, write,
 * stat, list, make and remove directories, remove and rename files, over the
 * guest's files as the logged-in user reaches them (user-files.ts). Handles
 * are per connection; symbolic links are not supported.
 */
import ssh2, { type SFTPWrapper } from 'ssh2';
import type { FileError, FileStat, UserFiles } from './user-files.js';
import { FILE_ERROR_TEXT } from './user-files.js';

const { OPEN_MODE, STATUS_CODE } = ssh2.utils.sftp;

type OpenHandle = { kind: 'file'; path: string; append: boolean } | { kind: 'directory'; path: string; listed: boolean };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** SFTP's attributes of a file: times in seconds. */
const attributes = (stat: FileStat) => ({
  mode: stat.mode,
  uid: stat.uid,
  gid: stat.gid,
  size: stat.size,
  atime: Math.floor(stat.modifiedMs / 1000),
  mtime: Math.floor(stat.modifiedMs / 1000),
});

/** An `ls -l` line, as sftp-server sends with each directory entry. */
function longName(name: string, stat: FileStat, owner: (uid: number) => string): string {
  const bits = 'rwxrwxrwx'.replace(/./g, (c, i) => ((stat.mode >> (8 - i)) & 1 ? c : '-'));
  const date = new Date(stat.modifiedMs);
  const time = `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  const when = `${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2)} ${time}`;
  const [user, group] = [owner(stat.uid), owner(stat.gid)];
  return `${stat.directory ? 'd' : '-'}${bits}    1 ${user.padEnd(8)} ${group.padEnd(8)} ${String(stat.size).padStart(8)} ${when} ${name}`;
}

/** Serves one SFTP session for the user whose files these are. */
export function serveSftp(sftp: SFTPWrapper, files: UserFiles): void {
  const handles = new Map<string, OpenHandle>();
  let nextHandle = 0;
  const owner = (id: number) => (id === files.user.uid ? files.user.name : 'root');
  const register = (handle: OpenHandle): Buffer => {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(nextHandle++);
    handles.set(id.toString('hex'), handle);
    return id;
  };
  const fail = (id: number, error: FileError) =>
    sftp.status(
      id,
      error === 'ENOENT' ? STATUS_CODE.NO_SUCH_FILE : error === 'EACCES' ? STATUS_CODE.PERMISSION_DENIED : STATUS_CODE.FAILURE,
      FILE_ERROR_TEXT[error],
    );
  const done = (id: number, error: FileError | undefined) => (error ? fail(id, error) : sftp.status(id, STATUS_CODE.OK));
  const statOf = (id: number, path: string) => {
    const stat = files.stat(files.resolve(path));
    if (!stat) return fail(id, 'ENOENT');
    sftp.attrs(id, attributes(stat));
  };
  const handleOf = (id: number, handle: Buffer): OpenHandle | undefined => {
    const found = handles.get(handle.toString('hex'));
    if (!found) sftp.status(id, STATUS_CODE.FAILURE, 'Invalid handle');
    return found;
  };

  sftp.on('OPEN', (id, filename, flags) => {
    const path = files.resolve(filename);
    const existing = files.read(path);
    if (existing === 'EISDIR') return fail(id, 'EISDIR');
    if (flags & OPEN_MODE.WRITE) {
      if (existing === 'ENOENT' && !(flags & OPEN_MODE.CREAT)) return fail(id, 'ENOENT');
      if (typeof existing !== 'string' && flags & OPEN_MODE.EXCL) return fail(id, 'EEXIST');
      const truncate = existing === 'ENOENT' || flags & OPEN_MODE.TRUNC;
      const error = files.write(path, truncate ? Buffer.alloc(0) : (existing as Buffer));
      if (error) return fail(id, error);
    } else if (typeof existing === 'string') return fail(id, existing);
    sftp.handle(id, register({ kind: 'file', path, append: (flags & OPEN_MODE.APPEND) !== 0 }));
  });

  sftp.on('READ', (id, handle, offset, length) => {
    const file = handleOf(id, handle);
    if (!file) return;
    const bytes = files.read(file.path);
    if (typeof bytes === 'string') return fail(id, bytes);
    if (offset >= bytes.length) return sftp.status(id, STATUS_CODE.EOF);
    sftp.data(id, bytes.subarray(offset, offset + length));
  });

  sftp.on('WRITE', (id, handle, offset, data) => {
    const file = handleOf(id, handle);
    if (file?.kind !== 'file') return file && fail(id, 'EISDIR');
    const current = files.read(file.path);
    if (typeof current === 'string') return fail(id, current);
    const at = file.append ? current.length : offset;
    const next = Buffer.alloc(Math.max(current.length, at + data.length));
    current.copy(next);
    data.copy(next, at);
    done(id, files.write(file.path, next));
  });

  sftp.on('CLOSE', (id, handle) => {
    if (!handleOf(id, handle)) return;
    handles.delete(handle.toString('hex'));
    sftp.status(id, STATUS_CODE.OK);
  });

  sftp.on('OPENDIR', (id, path) => {
    const resolved = files.resolve(path);
    const names = files.list(resolved);
    if (typeof names === 'string') return fail(id, names);
    sftp.handle(id, register({ kind: 'directory', path: resolved, listed: false }));
  });

  sftp.on('READDIR', (id, handle) => {
    const directory = handleOf(id, handle);
    if (!directory) return;
    if (directory.kind !== 'directory' || directory.listed) return sftp.status(id, STATUS_CODE.EOF);
    directory.listed = true;
    const names = files.list(directory.path);
    if (typeof names === 'string') return fail(id, names);
    const prefix = directory.path === '/' ? '' : directory.path;
    const entries = ['.', '..', ...names].map((filename) => {
      const stat = files.stat(files.resolve(`${prefix}/${filename}`))!;
      return { filename, longname: longName(filename, stat, owner), attrs: attributes(stat) };
    });
    sftp.name(id, entries);
  });

  sftp.on('STAT', (id, path) => statOf(id, path));
  sftp.on('LSTAT', (id, path) => statOf(id, path));
  sftp.on('FSTAT', (id, handle) => {
    const open = handleOf(id, handle);
    if (open) statOf(id, open.path);
  });
  const setTimes = (id: number, path: string, attrs: { mtime?: number | Date }) => {
    const resolved = files.resolve(path);
    if (!files.stat(resolved)) return fail(id, 'ENOENT');
    if (attrs.mtime !== undefined) files.setModified(resolved, attrs.mtime instanceof Date ? attrs.mtime.getTime() : attrs.mtime * 1000);
    sftp.status(id, STATUS_CODE.OK);
  };
  sftp.on('SETSTAT', (id, path, attrs) => setTimes(id, path, attrs));
  sftp.on('FSETSTAT', (id, handle, attrs) => {
    const open = handleOf(id, handle);
    if (open) setTimes(id, open.path, attrs);
  });

  sftp.on('REALPATH', (id, path) => {
    const resolved = files.resolve(path);
    // sftp-server sends no attributes with REALPATH (flags 0), which an empty ATTRS encodes; ssh2's type wants them all.
    sftp.name(id, [{ filename: resolved, longname: resolved, attrs: {} as never }]);
  });
  sftp.on('MKDIR', (id, path) => done(id, files.mkdir(files.resolve(path))));
  sftp.on('RMDIR', (id, path) => done(id, files.rmdir(files.resolve(path))));
  sftp.on('REMOVE', (id, path) => done(id, files.remove(files.resolve(path))));
  sftp.on('RENAME', (id, from, to) => done(id, files.rename(files.resolve(from), files.resolve(to))));
  sftp.on('READLINK', (id) => sftp.status(id, STATUS_CODE.OP_UNSUPPORTED));
  sftp.on('SYMLINK', (id) => sftp.status(id, STATUS_CODE.OP_UNSUPPORTED));
}
