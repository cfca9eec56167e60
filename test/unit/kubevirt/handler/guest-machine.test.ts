import t from 'tap';
import { guestMachine } from './guest-harness.js';
import type { VirtualMachineInstance } from '../../../../src/kubevirt/handler/vmi-types.js';

function machineOf(image: string) {
  const vmi: VirtualMachineInstance = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'vm1', namespace: 'default', uid: 'u1' },
    spec: { volumes: [{ name: 'disk', containerDisk: { image } }], domain: { devices: { interfaces: [{ name: 'default', bridge: {} }] } } },
    status: { interfaces: [{ name: 'default', ipAddress: '10.244.0.9', mac: '52:54:00:aa:bb:cc' }] },
  };
  const power: string[] = [];
  const machine = guestMachine(vmi, image, { powerOff: () => power.push('off'), reboot: () => power.push('reboot') });
  let screen = '';
  let hungUp = false;
  const port = machine.attachSerial(
    (text) => (screen += text),
    () => (hungUp = true),
  );
  const take = (): string => {
    const seen = screen;
    screen = '';
    return seen;
  };
  return { machine, port, take, power, hungUp: () => hungUp };
}

t.test('alpine: root logs in without a password on "localhost", the motd, then the root prompt', async (t) => {
  const { machine, port, take } = machineOf('quay.io/kubevirt/alpine-container-disk-demo');
  machine.boot();
  t.match(take(), /Welcome to Alpine Linux 3\.20\r\n.*localhost login: $/s, 'the boot log ends at the login prompt');
  port.input('root\r');
  t.match(take(), /^root\r\nWelcome to Alpine!.*\r\nlocalhost:~# $/s);
  port.input('ip route\r');
  t.equal(
    take(),
    'ip route\r\ndefault via 10.244.0.1 dev eth0 proto dhcp src 10.244.0.9 metric 100\r\n10.244.0.0/24 dev eth0 proto kernel scope link src 10.244.0.9 metric 100\r\nlocalhost:~# ',
    'bridge binding: the pod IP in the guest',
  );
  t.same(machine.loggedInUsers(), [{ userName: 'root', loginTime: Date.parse('2026-01-01T00:00:00Z') / 1000 }]);
  port.input('\x04');
  t.equal(take(), '\r\nlocalhost login: ', 'Ctrl-D logs out');
  t.same(machine.loggedInUsers(), []);
});

t.test('poweroff needs root; the kernel says goodbye and the port hangs up', async (t) => {
  const { machine, port, take, power, hungUp } = machineOf('cirros');
  port.input('cirros\rgocubsgo\r');
  t.match(take(), /\$ $/);
  port.input('poweroff\r');
  t.equal(take(), 'poweroff\r\npoweroff: Operation not permitted\r\n$ ');
  port.input('sudo poweroff\r');
  t.same(power, ['off'], 'the domain is asked to power off');
  machine.halt(false);
  t.match(take(), /Requesting system poweroff\r\n\[ *\d+\.\d+\] reboot: Power down\r\n$/);
  t.ok(hungUp());
});

t.test('windows has nothing on the serial port and no SSH server; Linux guests listen on 22 only', async (t) => {
  const windows = machineOf('windows2022');
  windows.machine.boot();
  t.notMatch(windows.take(), /login/);
  windows.port.input('Administrator\r');
  t.equal(windows.take(), '');
  t.equal(windows.machine.connect(22), undefined);
  const cirros = machineOf('cirros');
  t.type(cirros.machine.connect(22), 'function');
  t.equal(cirros.machine.connect(80), undefined);
});

t.test("cloud-init's runcmd runs as root at boot: strings through sh, lists as quoted words; its output is logged", async (t) => {
  const image = 'quay.io/containerdisks/fedora:41';
  const userData = [
    '#cloud-config',
    'runcmd:',
    '  - mkdir -p /srv/app/data && whoami > /srv/app/data/who',
    '  - [mkdir, -p, "/srv/app/it\'s a dir"]',
    '  - [touch, /srv/app/ready]',
    '  - echo to the log; mkdir /srv',
  ].join('\n');
  const vmi: VirtualMachineInstance = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'vm1', namespace: 'default', uid: 'u1' },
    spec: {
      volumes: [
        { name: 'disk', containerDisk: { image } },
        { name: 'cloudinit', cloudInitNoCloud: { userData } },
      ],
      domain: { devices: {} },
    },
  };
  const machine = guestMachine(vmi, image);
  const shell = machine.openShell(machine.userNamed('fedora')!);
  t.equal(shell.run('cat /srv/app/data/who; ls /srv/app').output, "root\ndata  it's a dir  ready\n");
  t.equal(
    shell.run('cat /var/log/cloud-init-output.log').output,
    'to the log\nmkdir: cannot create directory \u2018/srv\u2019: File exists\n',
    'what the commands printed',
  );
});
