/**
 * The commands every simulated container has (a BusyBox-like userland, as
 * minimal as tests need): echo, true, false, cat, ls, hostname, env, pwd,
 * whoami, id, uname. Their messages and exit codes are BusyBox's.
 */
import type { Command, ContainerEnvironment } from './process.js';

/** The entries directly under a directory, from the file table; undefined when it is no directory. */
function directoryEntries(env: ContainerEnvironment, dir: string): string[] | undefined {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const entries = new Set<string>();
  for (const path of env.files.keys()) if (path.startsWith(prefix)) entries.add(path.slice(prefix.length).split('/')[0]);
  return entries.size > 0 ? [...entries].sort() : undefined;
}

/** A command that prints what `text` says and succeeds. */
const printing =
  (text: (args: string[], env: ContainerEnvironment) => string): Command =>
  (args, env, io) => {
    io.stdout(text(args, env));
    return 0;
  };

const cat: Command = (args, env, io) => {
  let status = 0;
  for (const path of args) {
    const content = env.files.get(path);
    if (content !== undefined) {
      io.stdout(content);
      continue;
    }
    status = 1;
    io.stderr(directoryEntries(env, path) ? 'cat: read error: Is a directory\n' : `cat: can't open '${path}': No such file or directory\n`);
  }
  return status;
};

const ls: Command = (args, env, io) => {
  let status = 0;
  for (const path of args.length ? args : ['/']) {
    const entries = directoryEntries(env, path);
    if (entries) io.stdout(`${entries.join('\n')}\n`);
    else if (env.files.has(path)) io.stdout(`${path}\n`);
    else {
      status = 1;
      io.stderr(`ls: ${path}: No such file or directory\n`);
    }
  }
  return status;
};

export const BUILTIN_COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['echo', printing((args) => `${args.join(' ')}\n`)],
  ['true', () => 0],
  ['false', () => 1],
  ['cat', cat],
  ['ls', ls],
  ['hostname', printing((_args, env) => `${env.hostname}\n`)],
  ['env', printing((_args, env) => env.env.map(([name, value]) => `${name}=${value}\n`).join(''))],
  ['pwd', printing(() => '/\n')],
  ['whoami', printing(() => 'root\n')],
  ['id', printing(() => 'uid=0(root) gid=0(root) groups=0(root)\n')],
  ['uname', printing((args, env) => (args.includes('-a') ? `Linux ${env.hostname} 6.8.0 #1 SMP x86_64 GNU/Linux\n` : 'Linux\n'))],
]);
