/**
 * The commands every simulated shell has, written once against the session:
 * they read the session's files and user, and word their errors through the
 * session's dialect, so one table serves busybox and coreutils images alike.
 * Machine-specific commands (ip, ping, df, poweroff, ...) come from the host.
 */
import type { Command, CommandResult, ShellUser } from './session.js';

const ok = (stdout = ''): CommandResult => ({ stdout, exitCode: 0 });
const fail = (stderr: string, exitCode = 1): CommandResult => ({ stderr, exitCode });

/** `uid=1000(cirros) gid=1000(cirros) groups=1000(cirros),10(wheel)`. */
export const idLine = (user: ShellUser): string =>
  `uid=${user.uid}(${user.name}) gid=${user.gid}(${user.groups[0]?.name ?? user.name}) groups=${user.groups.map((g) => `${g.gid}(${g.name})`).join(',')}`;

/** What `uname` prints, field by field (uname -s, -n comes from the session, -r, -v, -m, -o). */
export interface UnameInfo {
  kernelName: string;
  kernelRelease: string;
  kernelVersion: string;
  machine: string;
  operatingSystem: string;
}

export function uname(info: UnameInfo): Command {
  return (argv, session) => {
    const flags = argv.slice(1).join('').replaceAll('-', '');
    const fields: Array<[string, string]> = [
      ['s', info.kernelName],
      ['n', session.hostname],
      ['r', info.kernelRelease],
      ['v', info.kernelVersion],
      ['m', info.machine],
      ['o', info.operatingSystem],
    ];
    if (flags.includes('a')) return ok(`${fields.map(([, v]) => v).join(' ')}\n`);
    const chosen = fields.filter(([flag]) => flags.includes(flag));
    return ok(`${(chosen.length ? chosen : fields.slice(0, 1)).map(([, v]) => v).join(' ')}\n`);
  };
}

const echo: Command = (argv) => {
  let words = argv.slice(1);
  const newline = words[0] !== '-n';
  if (!newline) words = words.slice(1);
  return ok(words.join(' ') + (newline ? '\n' : ''));
};

const cat: Command = (argv, session, stdin) => {
  const paths = argv.slice(1);
  if (paths.length === 0) return ok(stdin);
  let stdout = '';
  let stderr = '';
  for (const path of paths) {
    const content = session.files.read(session.resolve(path));
    if (content !== undefined) stdout += content;
    else stderr += session.message(session.files.isDirectory(session.resolve(path)) ? 'catDirectory' : 'catMissing', { path });
  }
  return { stdout, stderr, exitCode: stderr ? 1 : 0 };
};

const ls: Command = (argv, session) => {
  const operands = argv.slice(1).filter((a) => !a.startsWith('-'));
  const all = argv.slice(1).some((a) => a.startsWith('-') && a.includes('a'));
  let stdout = '';
  let stderr = '';
  for (const operand of operands.length ? operands : ['.']) {
    const path = session.resolve(operand);
    if (session.files.read(path) !== undefined) stdout += `${operand}\n`;
    else if (session.files.isDirectory(path)) {
      const names = session.files.list(path).filter((n) => all || !n.startsWith('.'));
      if (operands.length > 1) stdout += `${operand}:\n`;
      stdout += names.length ? `${names.join('  ')}\n` : '';
    } else stderr += session.message('lsMissing', { path: operand });
  }
  return { stdout, stderr, exitCode: stderr ? 2 : 0 };
};

/** The parent directory of an absolute path. */
const parentOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';

const mkdir: Command = (argv, session) => {
  const parents = argv.slice(1).some((a) => a.startsWith('-') && a.includes('p'));
  let stderr = '';
  for (const operand of argv.slice(1).filter((a) => !a.startsWith('-'))) {
    const path = session.resolve(operand);
    const exists = session.files.read(path) !== undefined || session.files.isDirectory(path);
    if (exists && parents) continue;
    if (exists) stderr += session.message('mkdirExists', { path: operand });
    else if (!parents && !session.files.isDirectory(parentOf(path))) stderr += session.message('mkdirMissing', { path: operand });
    else for (let dir = path; !session.files.isDirectory(dir); dir = parentOf(dir)) session.files.directories.add(dir);
  }
  return { stderr, exitCode: stderr ? 1 : 0 };
};

const touch: Command = (argv, session) => {
  let stderr = '';
  for (const operand of argv.slice(1).filter((a) => !a.startsWith('-'))) {
    const path = session.resolve(operand);
    if (session.files.isDirectory(path)) continue;
    if (!session.files.isDirectory(parentOf(path))) stderr += session.message('touchMissing', { path: operand });
    else session.files.write(path, '', true);
  }
  return { stderr, exitCode: stderr ? 1 : 0 };
};

const cd: Command = (argv, session) => {
  const target = session.resolve(argv[1] ?? session.user.home);
  if (!session.files.isDirectory(target)) return fail(session.message('cdMissing', { path: argv[1] ?? '' }), argv[1] ? 1 : 0);
  session.cwd = target;
  return ok();
};

/** `id [-u|-g|-G] [-n] [user]`. */
const id: Command = (argv, session) => {
  const flags = argv
    .slice(1)
    .filter((a) => a.startsWith('-'))
    .join('');
  const operand = argv.slice(1).find((a) => !a.startsWith('-'));
  const user = operand ? session.options.userNamed(operand) : session.user;
  if (!user) return fail(session.message('idNoUser', { name: operand ?? '' }));
  const names = flags.includes('n');
  if (flags.includes('u')) return ok(`${names ? user.name : user.uid}\n`);
  if (flags.includes('g')) return ok(`${names ? user.groups[0]?.name : user.gid}\n`);
  if (flags.includes('G')) return ok(`${user.groups.map((g) => (names ? g.name : g.gid)).join(' ')}\n`);
  return ok(`${idLine(user)}\n`);
};

/** `sudo [-i|-s] [-u user] command...`: the command as root (or the named user) if the user may. */
const sudo: Command = (argv, session, stdin) => {
  let i = 1;
  let target = 'root';
  while (argv[i]?.startsWith('-')) {
    if (argv[i] === '-u') target = argv[++i] ?? 'root';
    i++;
  }
  if (!session.user.sudo && session.user.uid !== 0) return fail(session.message('notSudoer'));
  const runAs = session.options.userNamed(target);
  if (!runAs) return fail(session.message('sudoUnknownUser', { name: target }));
  if (i >= argv.length) return ok();
  const previous = session.user;
  session.user = runAs;
  try {
    return session.invoke(argv.slice(i), stdin);
  } finally {
    session.user = previous;
  }
};

const grep: Command = (argv, session, stdin) => {
  const flags = argv.slice(1).filter((a) => a.startsWith('-'));
  const [pattern, ...paths] = argv.slice(1).filter((a) => !a.startsWith('-'));
  if (pattern === undefined) return fail(session.message('grepUsage'), 2);
  const ignoreCase = flags.some((f) => f.includes('i'));
  const text = paths.length ? paths.map((p) => session.files.read(session.resolve(p)) ?? '').join('') : stdin;
  const regex = new RegExp(pattern, ignoreCase ? 'i' : '');
  const lines = text.split('\n').filter((line) => line !== '' && regex.test(line));
  if (flags.some((f) => f.includes('c'))) return { stdout: `${lines.length}\n`, exitCode: lines.length ? 0 : 1 };
  return { stdout: lines.map((l) => `${l}\n`).join(''), exitCode: lines.length ? 0 : 1 };
};

const wc: Command = (argv, _session, stdin) => {
  const lines = stdin.split('\n').length - 1;
  return ok(argv.includes('-l') ? `${lines}\n` : `${lines} ${stdin.split(/\s+/).filter(Boolean).length} ${Buffer.byteLength(stdin)}\n`);
};

/** The commands every image has; the host adds its own and may replace any. */
export const commonCommands: Record<string, Command> = {
  echo,
  cat,
  ls,
  cd,
  id,
  sudo,
  grep,
  wc,
  mkdir,
  touch,
  true: () => ok(),
  false: () => ({ exitCode: 1 }),
  pwd: (_argv, session) => ok(`${session.cwd}\n`),
  whoami: (_argv, session) => ok(`${session.user.name}\n`),
  hostname: (_argv, session) => ok(`${session.hostname}\n`),
  exit: (argv, session) => ({ exitCode: argv[1] ? Number(argv[1]) || 0 : session.lastStatus, action: 'exit' }),
  logout: () => ({ exitCode: 0, action: 'exit' }),
  export: (argv, session) => {
    for (const word of argv.slice(1)) {
      const [name, ...value] = word.split('=');
      if (value.length) session.variables.set(name, value.join('='));
    }
    return ok();
  },
};
