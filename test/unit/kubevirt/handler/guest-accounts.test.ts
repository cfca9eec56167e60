import t from 'tap';
import { guestOfImage } from '../../../../src/kubevirt/handler/guest-os.js';
import { guestAccounts, passwordMatches, secretNamesOf } from '../../../../src/kubevirt/handler/guest/accounts.js';
import type { VirtualMachineInstance } from '../../../../src/kubevirt/handler/vmi-types.js';

const vmi = (image: string, spec: Record<string, unknown> = {}, volumes: unknown[] = []): VirtualMachineInstance => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm1', namespace: 'default' },
  spec: { volumes: [{ name: 'disk', containerDisk: { image } }, ...(volumes as never[])], ...spec },
});

const cloudInit = (userData: string) => [{ name: 'cloudinit', cloudInitNoCloud: { userData } }];

t.test('image defaults: cirros/gocubsgo, alpine root without a password, fedora locked', async (t) => {
  const cirros = guestAccounts(vmi('quay.io/kubevirt/cirros-container-disk-demo'), guestOfImage('cirros'), new Map());
  t.equal(cirros.users.find((u) => u.name === 'cirros')?.password, 'gocubsgo');
  t.equal(cirros.hostname, 'vm1');
  const alpine = guestAccounts(vmi('alpine'), guestOfImage('alpine'), new Map());
  t.equal(alpine.users.find((u) => u.name === 'root')?.password, '');
  t.equal(alpine.hostname, 'localhost', 'the alpine demo disk keeps its own hostname');
  const fedora = guestAccounts(vmi('fedora'), guestOfImage('quay.io/containerdisks/fedora:41'), new Map());
  t.equal(fedora.users.find((u) => u.name === 'fedora')?.password, undefined, 'no password until cloud-init sets one');
  t.equal(guestOfImage('quay.io/containerdisks/fedora:40').image.files['/etc/os-release'].includes('VERSION_ID=40'), true);
  t.match(guestOfImage('cirros').image.files['/etc/os-release'], /^NAME=Buildroot$/m);
});

t.test('cloud-init: password, chpasswd, users, ssh_authorized_keys, hostname, write_files', async (t) => {
  const fedora = guestOfImage('quay.io/containerdisks/fedora:41');
  const simple = guestAccounts(
    vmi('fedora', {}, cloudInit('#cloud-config\npassword: fedora\nchpasswd: { expire: False }\nhostname: db\n')),
    fedora,
    new Map(),
  );
  t.equal(simple.users.find((u) => u.name === 'fedora')?.password, 'fedora');
  t.equal(simple.hostname, 'db');
  const users = guestAccounts(
    vmi(
      'fedora',
      {},
      cloudInit(
        [
          '#cloud-config',
          'users:',
          '  - default',
          '  - name: alice',
          '    plain_text_passwd: pw',
          '    lock_passwd: false',
          '    sudo: ALL=(ALL) NOPASSWD:ALL',
          '    ssh_authorized_keys: [ssh-ed25519 AAAA alice@host]',
          'ssh_authorized_keys: [ssh-ed25519 BBBB me@host]',
          'chpasswd:',
          '  list: |',
          '    fedora:secret',
          'write_files: [{ path: /etc/motd, content: hello }]',
        ].join('\n'),
      ),
    ),
    fedora,
    new Map(),
  );
  const alice = users.users.find((u) => u.name === 'alice');
  t.match(alice, { uid: 1001, password: 'pw', sudo: true, authorizedKeys: ['ssh-ed25519 AAAA alice@host'], home: '/home/alice' });
  t.match(
    users.users.find((u) => u.name === 'fedora'),
    { password: 'secret', authorizedKeys: ['ssh-ed25519 BBBB me@host'] },
  );
  t.equal(users.files['/etc/motd'], 'hello');
  const noDefault = guestAccounts(vmi('fedora', {}, cloudInit('#cloud-config\nusers: [{ name: bob }]\n')), fedora, new Map());
  t.notOk(
    noDefault.users.some((u) => u.name === 'fedora'),
    'users without "default" drops the default user',
  );
  const base64 = [
    { name: 'ci', cloudInitConfigDrive: { userDataBase64: Buffer.from('#cloud-config\npassword: b64\n').toString('base64') } },
  ];
  t.equal(guestAccounts(vmi('fedora', {}, base64), fedora, new Map()).users.find((u) => u.name === 'fedora')?.password, 'b64');
  const cirros = guestAccounts(vmi('cirros', {}, cloudInit('#cloud-config\npassword: nope\n')), guestOfImage('cirros'), new Map());
  t.equal(cirros.users.find((u) => u.name === 'cirros')?.password, 'gocubsgo', 'cirros-init does not apply #cloud-config');
});

t.test('Secrets: cloud-init secretRef and accessCredentials', async (t) => {
  const fedora = guestOfImage('quay.io/containerdisks/fedora:41');
  const spec = {
    accessCredentials: [
      { sshPublicKey: { source: { secret: { secretName: 'keys' } }, propagationMethod: { qemuGuestAgent: { users: ['fedora'] } } } },
      { userPassword: { source: { secret: { secretName: 'passwords' } }, propagationMethod: { qemuGuestAgent: {} } } },
    ],
  };
  const withSecret = vmi('fedora', spec, [{ name: 'ci', cloudInitNoCloud: { secretRef: { name: 'userdata' } } }]);
  t.same(secretNamesOf(withSecret).sort(), ['keys', 'passwords', 'userdata']);
  const secrets = new Map([
    ['keys', { key1: 'ssh-ed25519 CCCC agent@host' }],
    ['passwords', { fedora: 'from-agent' }],
    ['userdata', { userdata: '#cloud-config\nhostname: from-secret\n' }],
  ]);
  const accounts = guestAccounts(withSecret, fedora, secrets);
  t.match(
    accounts.users.find((u) => u.name === 'fedora'),
    { password: 'from-agent', authorizedKeys: ['ssh-ed25519 CCCC agent@host'] },
  );
  t.equal(accounts.hostname, 'from-secret');
  const ubuntu = guestAccounts(vmi('ubuntu', spec), guestOfImage('ubuntu'), secrets);
  t.same(ubuntu.users.find((u) => u.name === 'ubuntu')?.authorizedKeys, [], 'qemuGuestAgent propagation needs an agent in the guest');
});

t.test('cloud-init hashed passwords: users[].passwd, chpasswd list and users, password; verified as SHA-512/SHA-256 crypt', async (t) => {
  const fedora = guestOfImage('quay.io/containerdisks/fedora:41');
  // `openssl passwd -6 -salt saltsalt secret` and `openssl passwd -5 -salt saltsalt secret`.
  const sha512 = '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1';
  const sha256 = '$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA';
  const config = [
    '#cloud-config',
    'users:',
    '  - default',
    `  - {name: alice, passwd: '${sha512}', lock_passwd: false}`,
    `  - {name: bob, passwd: '${sha512}'}`,
    '  - {name: carol}',
    '  - {name: dave}',
    'chpasswd:',
    `  list: ["carol:${sha256}"]`,
    `  users: [{name: dave, password: '${sha512}', type: hash}, {name: fedora, password: '$6$looks$likeahash', type: text}]`,
  ].join('\n');
  const accounts = guestAccounts(vmi('fedora', {}, cloudInit(config)), fedora, new Map());
  const user = (name: string) => accounts.users.find((u) => u.name === name)!;
  t.ok(passwordMatches(user('alice'), 'secret'), 'users[].passwd with lock_passwd: false');
  t.notOk(passwordMatches(user('alice'), 'Secret'), 'a wrong password does not match the hash');
  t.notOk(passwordMatches(user('bob'), 'secret'), 'lock_passwd defaults to true: password login stays locked');
  t.ok(passwordMatches(user('carol'), 'secret'), 'a chpasswd list line with a SHA-256 hash');
  t.ok(passwordMatches(user('dave'), 'secret'), 'chpasswd users with type: hash');
  t.ok(passwordMatches(user('fedora'), '$6$looks$likeahash'), 'type: text is the password itself, whatever it looks like');

  const top = guestAccounts(vmi('fedora', {}, cloudInit(`#cloud-config\npassword: '${sha512}'\n`)), fedora, new Map());
  t.same(
    [passwordMatches(top.users.find((u) => u.name === 'fedora')!, 'secret'), top.users.find((u) => u.name === 'fedora')!.password],
    [true, undefined],
    'a hashed `password` is set as the hash',
  );
  const md5 = guestAccounts(vmi('fedora', {}, cloudInit('#cloud-config\npassword: "$1$salt$qJH7.N4xYta3aEG/dfqo/0"\n')), fedora, new Map());
  t.notOk(passwordMatches(md5.users.find((u) => u.name === 'fedora')!, 'password'), 'MD5 crypt is not verified: no login');
});
