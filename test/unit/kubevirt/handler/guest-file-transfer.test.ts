/**
 * The guest's scp endpoint over the guest's own files: `scp -r -t` makes the
 * directories and files a client sends (with -p times), `scp -r -f` sends the
 * same tree back as D/C/E records, each only after the client's zero byte;
 * which command lines are scp's server modes.
 */
import t from 'tap';
import { guestMachine } from './guest-harness.js';
import { ScpEndpoint, parseScpCommand } from '../../../../src/kubevirt/handler/guest/scp-endpoint.js';
import type { VirtualMachineInstance } from '../../../../src/kubevirt/handler/vmi-types.js';

const image = 'quay.io/kubevirt/cirros-container-disk-demo';
const vmi: VirtualMachineInstance = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm1', namespace: 'default', uid: 'u1' },
  spec: { volumes: [{ name: 'disk', containerDisk: { image } }], domain: { devices: {} } },
};
const machine = guestMachine(vmi, image);
const files = machine.filesFor(machine.userNamed('cirros')!);

function run(command: string) {
  const request = parseScpCommand(command)!;
  let sent = Buffer.alloc(0);
  let status: number | undefined;
  const endpoint = ScpEndpoint.start(request, files, {
    write: (bytes) => (sent = Buffer.concat([sent, bytes])),
    exit: (code) => (status = code),
  });
  const take = () => {
    const text = sent.toString('latin1');
    sent = Buffer.alloc(0);
    return text;
  };
  return { endpoint, take, status: () => status };
}

t.test('which command lines are scp server modes', async (t) => {
  t.same(parseScpCommand("scp -q -t 'a dir'"), { sudo: false, mode: 'sink', recursive: false, preserve: false, path: 'a dir' });
  t.match(parseScpCommand('sudo /usr/bin/scp -rpf /etc'), { sudo: true, mode: 'source', recursive: true, preserve: true, path: '/etc' });
  t.equal(parseScpCommand('scp file host:'), undefined, 'a client invocation is a plain command');
  t.equal(parseScpCommand('cat x; scp -t y'), undefined);
});

t.test('scp -r -t receives a tree with its times; scp -r -p -f sends it back record by record', async (t) => {
  const sink = run('scp -r -p -t .');
  t.equal(sink.take(), '\0', 'ready');
  const records = ['D0755 0 tree\n', 'T1700000000 0 1700000000 0\n', 'C0644 3 a.txt\n', 'abc\0', 'D0755 0 sub\n', 'C0600 0 empty\n', '\0'];
  for (const record of [...records, 'E\n', 'E\n']) {
    sink.endpoint.receive(Buffer.from(record));
    t.equal(sink.take(), '\0', `${JSON.stringify(record)} is acknowledged`);
  }
  sink.endpoint.endOfInput();
  t.equal(sink.status(), 0);
  t.equal(files.read('/home/cirros/tree/a.txt')?.toString(), 'abc');
  t.equal(files.stat('/home/cirros/tree/sub/empty')?.size, 0);

  const source = run('scp -r -f tree');
  t.equal(source.take(), '', 'the source waits for the client');
  const answers: string[] = [];
  for (let i = 0; i < 8 && source.status() === undefined; i++) {
    source.endpoint.receive(Buffer.from([0]));
    answers.push(source.take());
  }
  t.same(answers, ['D0755 0 tree\n', 'C0644 3 a.txt\n', 'abc\0', 'D0755 0 sub\n', 'C0644 0 empty\n', '\0', 'E\n', 'E\n']);
  source.endpoint.receive(Buffer.from([0]));
  t.equal(source.status(), 0, 'the last acknowledgement ends it');

  const preserved = run('scp -p -f tree/a.txt');
  preserved.endpoint.receive(Buffer.from([0]));
  t.equal(preserved.take(), 'T1700000000 0 1700000000 0\n', "-p sends the time the client's T record gave");
});

t.test('errors are 0x01 records with the path and strerror text; scp exits 1', async (t) => {
  const denied = run('scp -t /etc');
  denied.take();
  denied.endpoint.receive(Buffer.from('C0644 1 motd\n'));
  t.equal(denied.take(), '\0');
  denied.endpoint.receive(Buffer.from('x\0'));
  t.equal(denied.take(), '\x01scp: /etc/motd: Permission denied\n');
  denied.endpoint.endOfInput();
  t.equal(denied.status(), 1);

  const directory = run('scp -f /etc');
  t.equal(directory.take(), '\x01scp: /etc: not a regular file\n');
  t.equal(directory.status(), 1);

  const noRecursion = run('scp -t .');
  noRecursion.take();
  noRecursion.endpoint.receive(Buffer.from('D0755 0 d\n'));
  t.equal(noRecursion.take(), '\x02scp: protocol error: received directory without -r\n');
  t.equal(noRecursion.status(), 1);
});
