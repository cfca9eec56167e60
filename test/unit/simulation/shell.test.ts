import t from 'tap';
import { commonCommands } from '../../../src/simulation/shell/commands.js';
import { LineEditor } from '../../../src/simulation/shell/line-editor.js';
import { parseLine } from '../../../src/simulation/shell/parse.js';
import { FileTree, ShellSession, type ShellUser } from '../../../src/simulation/shell/session.js';

const user: ShellUser = { name: 'cirros', uid: 1000, gid: 1000, groups: [{ gid: 1000, name: 'cirros' }], home: '/home/cirros', sudo: true };
const root: ShellUser = { name: 'root', uid: 0, gid: 0, groups: [{ gid: 0, name: 'root' }], home: '/root', sudo: true };

function session(dialect: 'busybox' | 'bash' = 'busybox'): ShellSession {
  const files = new FileTree({ '/etc/os-release': 'NAME=Buildroot\n' });
  files.directories.add('/home/cirros');
  return new ShellSession({
    user,
    hostname: () => 'vm1',
    commands: commonCommands,
    dialect:
      dialect === 'busybox'
        ? {
            name: '-sh',
            notFound: '{shell}: {command}: not found',
            syntaxError: '{shell}: syntax error: {message}',
            messages: { catMissing: "cat: can't open '{path}': No such file or directory" },
          }
        : { name: '-bash', notFound: '{shell}: {command}: command not found', syntaxError: '{shell}: {message}', messages: {} },
    files,
    userNamed: (name) => [user, root].find((u) => u.name === name),
  });
}

t.test('words, quotes and operators', async (t) => {
  const [first, second, third, fourth] = parseLine(`echo 'a  b' "c $HOME" d\\ e; false && x || echo y | wc -l`);
  t.equal(first.commands[0].words.length, 4);
  t.equal(second.after, ';');
  t.equal(third.after, '&&');
  t.equal(fourth.after, '||');
  t.equal(fourth.commands.length, 2, 'a pipe joins two commands');
  t.throws(() => parseLine('echo a &&'), /unexpected token `newline'/);
  t.throws(() => parseLine("echo 'open"), /Unterminated/);
});

t.test('variables expand when their command runs: $? is the previous status', async (t) => {
  const s = session();
  t.equal(s.run('foo; echo status=$?').output, '-sh: foo: not found\nstatus=127\n');
  t.equal(s.run('false; echo $?; true; echo $?').output, '1\n0\n');
  t.equal(s.run('X=1; echo "x is $X" \'$X\'').output, 'x is 1 $X\n');
  t.equal(s.run('false && echo no || echo yes').output, 'yes\n');
  t.equal(session('bash').run('nope').output, '-bash: nope: command not found\n');
  t.equal(s.lastStatus, 0);
});

t.test('files, users, sudo, redirection and pipes', async (t) => {
  const s = session();
  t.equal(s.run('cat /etc/os-release | grep -c Buildroot').output, '1\n');
  t.equal(s.run('cat /nope').output, "cat: can't open '/nope': No such file or directory\n");
  t.equal(s.lastStatus, 1);
  t.equal(s.run('id').output, 'uid=1000(cirros) gid=1000(cirros) groups=1000(cirros)\n');
  t.equal(
    s.run('sudo id; id -u; whoami').output,
    'uid=0(root) gid=0(root) groups=0(root)\n1000\ncirros\n',
    'sudo runs one command as root',
  );
  t.equal(s.run('echo hi > note; cat note; pwd').output, 'hi\n/home/cirros\n');
  t.equal(s.run('ls').output, 'note\n');
  t.same(s.run('exit 3'), { output: '', action: 'exit' });
  t.equal(s.lastStatus, 3);
});

t.test('the line editor echoes, erases, hides passwords and hands over lines', async (t) => {
  let screen = '';
  const lines: string[] = [];
  const editor = new LineEditor((text) => (screen += text), {
    line: (l) => lines.push(l),
    interrupt: () => lines.push('^C'),
    endOfFile: () => lines.push('EOF'),
  });
  editor.input('lx\x7fs\r\n');
  t.same(lines, ['ls'], 'CRLF is one Enter');
  t.equal(screen, 'lx\b \bs\r\n');
  editor.echo = false;
  editor.input('secret\r');
  t.same(lines, ['ls', 'secret']);
  t.equal(screen, 'lx\b \bs\r\n\r\n', 'a password is not echoed');
  editor.input('ls\x1b[A\x1bOB -l\r');
  t.equal(lines.at(-1), 'ls -l', 'arrow keys are swallowed, not typed');
  lines.pop();
  editor.input('abc\x03\x04');
  t.same(lines, ['ls', 'secret', '^C', 'EOF']);
});
