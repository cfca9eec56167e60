/**
 * Answers of pure functions of text, remembered on disk across processes.
 * Every process that installs KubeVirt parses the same ~6 MiB of YAML (the
 * strategy's operands and CRDs) and dumps the same strategy back to YAML:
 * about three CPU-seconds each time, the larger part of a KubeVirt install,
 * for answers that depend on nothing but the text. Reading the answer back
 * as JSON costs a few milliseconds.
 *
 * An answer is filed under a hash of the function's name, its source, the
 * package's version and lock file, and the text, so a changed function or a new release
 * never reads an old answer. The cache is an optimisation only: a missing,
 * unreadable or unwritable directory means the function runs, as it would
 * without one. Answers are written to a temporary file and renamed, so
 * concurrent processes never read half an answer.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$KUBEVIRT_EMULATOR_CACHE_DIR`, else the XDG cache directory as kubectl's and most tools' caches. */
export function diskMemoDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBEVIRT_EMULATOR_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kubevirt-emulator');
}

/**
 * The package's version and the digest of its lock file where there is one (a
 * checkout): the functions call libraries (yaml, ajv), whose versions change
 * with the lock file, not with the package's version.
 */
function codeVersion(): string {
  const read = (file: string): string => {
    try {
      return readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
    } catch {
      return '';
    }
  };
  const version = (JSON.parse(read('package.json') || '{}') as { version?: string }).version ?? '';
  return `${version}\0${createHash('sha256').update(read('package-lock.json')).digest('hex')}`;
}

let versionOfCode: string | undefined;

/**
 * `fn` with its answers kept on disk under `name`; the answer must be text
 * (JSON for structured answers). In-process repeats are the caller's to
 * remember: this reads the file each time.
 */
export function diskMemo(name: string, fn: (text: string) => string, dir = diskMemoDir()): (text: string) => string {
  const salt = `${name}\0${fn.toString()}\0`;
  return (text) => {
    versionOfCode ??= codeVersion();
    const key = createHash('sha256').update(versionOfCode).update('\0').update(salt).update(text).digest('hex');
    const file = join(dir, `${name}-${key}`);
    try {
      return readFileSync(file, 'utf8');
    } catch {
      // Not remembered yet (or unreadable): compute it.
    }
    const answer = fn(text);
    try {
      mkdirSync(dir, { recursive: true });
      const partial = `${file}.${process.pid}.tmp`;
      writeFileSync(partial, answer);
      renameSync(partial, file);
    } catch {
      // A read-only or full disk only costs the next process the same work.
    }
    return answer;
  };
}
