/**
 * A guest one can reach, through real protocols against one emulator with
 * KubeVirt installed: a WebSocket client logs in on the serial console of a
 * cirros VMI and of a cloud-init fedora VMI and runs commands; an ssh2 client
 * over the port-forward tunnel logs in with a key and with a password; the
 * guest agent's user list shows the console and SSH logins; a command gives
 * the same output on both; one VMI's reboot, login and shell transcript is
 * the same on the serial console, the VNC screen (read back through the
 * font's glyphs) and an SSH shell; `sudo poweroff` ends the VMI Succeeded and a
 * `runStrategy: Always` VM starts a new one; `reboot` and a soft reboot through
 * virt-api boot the guest again (a new boot_id).
 */
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import ssh2 from 'ssh2';
import { withEmulator } from '../../helpers/cluster.js';
import { ConsoleSession, openStream, scpReceive, scpSend, sshExec, sshOverTcp, sshToVmi } from '../../helpers/guest-streams.js';
import { startPortForward } from '../../helpers/kubectl.js';
import { ENCODING_ZRLE, RfbClient } from '../../helpers/rfb-client.js';
import { screenText, terminalRows } from '../../helpers/vga-text.js';
import { openWebSocket } from '../../helpers/websocket-client.js';

const subresources = '/apis/subresources.kubevirt.io/v1/namespaces/default';
const key = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'tester@e2e' });

const vmSpec = (image: string, extra = '') => `
      domain:
        devices:
          disks: [{name: containerdisk, disk: {bus: virtio}}, {name: cloudinit, disk: {bus: virtio}}]
          interfaces: [{name: default, masquerade: {}}]
        resources: {requests: {memory: 1Gi}}
      networks: [{name: default, pod: {}}]
      volumes:
        - {name: containerdisk, containerDisk: {image: ${image}}}
        - name: cloudinit
          cloudInitNoCloud:
            userData: |
              #cloud-config
              password: fedora
              chpasswd: { expire: False }
              ssh_authorized_keys: ['${key.public}']
              runcmd: ['mkdir -p /srv/www', 'echo ready > /srv/www/index.txt', [ls, /srv/www]]
${extra}`;

const manifests = `
apiVersion: v1
kind: Secret
metadata: {name: userdata}
stringData:
  userdata: |
    #cloud-config
    password: from-secret
    chpasswd: { expire: False }
---
apiVersion: v1
kind: Secret
metadata: {name: agent-password}
stringData: {fedora: via-agent}
---
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {name: secrets}
spec:
  domain:
    devices:
      disks: [{name: containerdisk, disk: {bus: virtio}}, {name: cloudinit, disk: {bus: virtio}}]
      interfaces: [{name: default, masquerade: {}}]
    resources: {requests: {memory: 1Gi}}
  networks: [{name: default, pod: {}}]
  accessCredentials:
    - userPassword:
        source: {secret: {secretName: agent-password}}
        propagationMethod: {qemuGuestAgent: {}}
  volumes:
    - {name: containerdisk, containerDisk: {image: quay.io/containerdisks/fedora:41}}
    - {name: cloudinit, cloudInitNoCloud: {secretRef: {name: userdata}}}
---
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {name: cirros}
spec:
  domain:
    devices:
      disks: [{name: containerdisk, disk: {bus: virtio}}]
      interfaces: [{name: default, masquerade: {}}]
    resources: {requests: {memory: 128Mi}}
  networks: [{name: default, pod: {}}]
  volumes: [{name: containerdisk, containerDisk: {image: quay.io/kubevirt/cirros-container-disk-demo:devel}}]
---
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: {name: fedora}
spec:${vmSpec('quay.io/containerdisks/fedora:41')}
---
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: always}
spec:
  runStrategy: Always
  template:
    spec:${vmSpec('quay.io/containerdisks/fedora:41').replaceAll('\n      ', '\n        ')}
`;

t.test('console, SSH and the guest agent see one guest', async (t) => {
  const fixture = await withEmulator(t, { workers: 1, installKubeVirt: true });
  const { kubectl, emulator } = fixture;
  t.equal((await kubectl(['apply', '-f', '-'], { input: manifests })).code, 0);
  for (const vmi of ['cirros', 'fedora', 'always', 'secrets'])
    t.equal((await kubectl(['wait', `vmi/${vmi}`, '--for=condition=Ready', '--timeout=60s'], { timeoutMs: 70_000 })).code, 0, vmi);
  t.equal((await kubectl(['wait', 'vmi/fedora', '--for=condition=AgentConnected', '--timeout=60s'], { timeoutMs: 70_000 })).code, 0);

  t.test('cirros: the getty, a wrong password, cirros/gocubsgo and BusyBox answers', async (t) => {
    const console = await ConsoleSession.open(emulator, 'cirros');
    t.teardown(() => console.close());
    console.send('\r');
    t.equal(await console.expect(/login: $/), '\r\ncirros login: ', 'nothing of the past, then the prompt again');
    console.send('cirros\r');
    await console.expect(/Password: $/);
    console.send('nope\r');
    t.match(await console.expect(/login: $/), /\r\nLogin incorrect\r\ncirros login: $/);
    console.send('cirros\r');
    await console.expect(/Password: $/);
    console.send('gocubsgo\r');
    await console.expect(/\$ $/);
    const run = (command: string) => console.run(command, /\$ $/);
    t.equal(await run('hostname'), 'cirros\n');
    t.equal(await run('whoami'), 'cirros\n');
    t.match(await run('uname -a'), /^Linux cirros 5\.3\.0-26-generic #28~18\.04\.1-Ubuntu SMP .* x86_64 GNU\/Linux\n$/);
    t.match(await run('cat /etc/os-release'), /^NAME=Buildroot\n.*PRETTY_NAME="Buildroot 2019\.02\.1"\n$/s);
    t.match(await run('ip a'), /inet 10\.0\.2\.2\/24 .* eth0/);
    const fedoraIp = (await kubectl(['get', 'vmi', 'fedora', '-o', 'jsonpath={.status.interfaces[0].ipAddress}'])).stdout;
    t.match(await run(`ping -c 2 ${fedoraIp}`), /2 packets transmitted, 2 packets received, 0% packet loss/, 'another VMI answers');
    t.match(await run('ping -c 1 192.0.2.1; echo $?'), /1 packets transmitted, 0 packets received, 100% packet loss\n\n?1\n$/);
    t.equal(await run('foo; echo $?'), '-sh: foo: not found\n127\n');
    t.equal(await run('sudo whoami'), 'root\n');
    t.match(await run('lsblk'), /^NAME +MAJ:MIN RM +SIZE RO TYPE MOUNTPOINTS\nvda +252:0 /);
    console.send('exit\r');
    await console.expect(/cirros login: $/);
  });

  t.test('one transcript: the boot, login and shell on the serial console, the VNC screen and an SSH shell of cirros', async (t) => {
    const vnc = await openWebSocket(emulator.url, fixture.kubeconfigPath, `${subresources}/virtualmachineinstances/cirros/vnc`, {
      protocols: ['plain.kubevirt.io'],
    });
    t.teardown(() => vnc.close());
    const screen = new RfbClient(vnc);
    await screen.handshake();
    screen.setEncodings([ENCODING_ZRLE]);
    const console = await ConsoleSession.open(emulator, 'cirros');
    t.teardown(() => console.close());
    const logIn = async (terminal: ConsoleSession) => {
      terminal.send('cirros\r');
      await terminal.expect(/Password: $/);
      terminal.send('gocubsgo\r');
      await terminal.expect(/\$ $/);
    };
    console.send('\r');
    await console.expect(/login: $/);
    await logIn(console);
    console.send('sudo reboot\r');
    await console.expect(/cirros login: $/, 20_000);
    await logIn(console);
    const commands = ['hostname; whoami', 'uname -a', 'cat /etc/os-release', 'ip route', 'nope; echo $?'];
    for (const command of commands) await console.run(command, /\$ $/);

    const rebooted = console.transcript.slice(console.transcript.lastIndexOf('reboot: Restarting system'));
    t.match(rebooted, /Linux version 5\.3\.0-26-generic.*\r\ncirros login: cirros\r\nPassword: \r\n\$ hostname; whoami\r\ncirros\r\n/s);
    await screen.update(false);
    const rows = screenText(screen);
    t.same(rows, terminalRows(console.transcript), 'the VNC screen shows the last 25 rows of the console transcript');
    t.same(rows.slice(-3), ['-sh: nope: not found', '127', '$ \u2592'], 'the last command, its output and the prompt with the cursor');
    t.ok(rebooted.split('\r\n').length > 25, 'the rows on screen all came after the reboot');

    const ssh = await sshToVmi(emulator, 'cirros', { username: 'cirros', password: 'gocubsgo' });
    t.teardown(() => ssh.end());
    const shell = await ConsoleSession.sshShell(ssh);
    await shell.expect(/\$ $/);
    for (const command of commands) await shell.run(command, /\$ $/);
    const afterLogin = rebooted.slice(rebooted.lastIndexOf('Password: \r\n') + 'Password: \r\n'.length);
    t.equal(shell.transcript, afterLogin, 'the SSH shell shows the same prompts, echo and output as the console after login');
    shell.close();
  });

  t.test('fedora with cloud-init: console login, the agent lists the user, SSH with a key and a password', async (t) => {
    const console = await ConsoleSession.open(emulator, 'fedora');
    t.teardown(() => console.close());
    console.send('fedora\r');
    await console.expect(/Password: $/);
    console.send('fedora\r');
    const prompt = /\[fedora@fedora ~\]\$ $/;
    await console.expect(prompt);
    const users = JSON.parse((await kubectl(['get', '--raw', `${subresources}/virtualmachineinstances/fedora/userlist`])).stdout);
    t.same(
      users.items.map((u: { userName: string }) => u.userName),
      ['fedora'],
      'the console login is in the guest agent user list',
    );
    t.type(users.items[0].loginTime, 'number');
    const onConsole = await console.run('id; uname -r; cat /etc/os-release | grep PRETTY; ip route', prompt);
    t.match(
      onConsole,
      /^uid=1000\(fedora\) gid=1000\(fedora\) groups=1000\(fedora\),4\(adm\),10\(wheel\),190\(systemd-journal\)\n6\.11\.4/,
    );
    t.equal(await console.run('nope', prompt), '-bash: nope: command not found\n');

    const withKey = await sshToVmi(emulator, 'fedora', { username: 'fedora', privateKey: key.private });
    t.teardown(() => withKey.end());
    const overSsh = await sshExec(withKey, 'id; uname -r; cat /etc/os-release | grep PRETTY; ip route');
    t.equal(overSsh.stdout, onConsole, 'the same command gives the same output on the console and over SSH');
    t.equal(overSsh.code, 0);
    t.same(await sshExec(withKey, 'exit 3'), { stdout: '', code: 3 });
    t.same(
      await sshExec(withKey, 'cat /srv/www/index.txt; cat /var/log/cloud-init-output.log'),
      { stdout: 'ready\nindex.txt\n', code: 0 },
      "cloud-init's runcmd ran at boot and logged what it printed",
    );

    const withPassword = await sshToVmi(emulator, 'fedora', { username: 'fedora', password: 'fedora' });
    t.teardown(() => withPassword.end());
    const shellOutput = await new Promise<string>((resolve, reject) => {
      withPassword.shell({ term: 'xterm' }, (err, channel) => {
        if (err) return reject(err);
        let text = '';
        channel.on('data', (d: Buffer) => {
          text += d.toString('utf8');
          if (text.endsWith('$ ') && !text.includes('whoami')) channel.write('whoami\r');
          else if (/fedora\r\n\[fedora@fedora ~\]\$ $/.test(text)) channel.write('exit\r');
        });
        channel.on('close', () => resolve(text));
      });
    });
    t.match(
      shellOutput,
      /^\[fedora@fedora ~\]\$ whoami\r\nfedora\r\n\[fedora@fedora ~\]\$ exit\r\nlogout\r\n$/,
      'an interactive shell on a pty',
    );
    await t.rejects(sshToVmi(emulator, 'fedora', { username: 'fedora', password: 'wrong' }), /authentication methods failed/);
  });

  t.test('accounts from Secrets: cloud-init secretRef, then accessCredentials through the guest agent', async (t) => {
    const ssh = await sshToVmi(emulator, 'secrets', { username: 'fedora', password: 'via-agent' });
    t.teardown(() => ssh.end());
    t.same(await sshExec(ssh, 'hostname; whoami'), { stdout: 'secrets\nfedora\n', code: 0 });
    await t.rejects(
      sshToVmi(emulator, 'secrets', { username: 'fedora', password: 'from-secret' }),
      /authentication methods failed/,
      'the agent set it after cloud-init',
    );
  });

  t.test('files over the tunnel: SFTP and the scp protocol virtctl scp speaks, read back with cat over SSH and the console', async (t) => {
    const ssh = await sshToVmi(emulator, 'secrets', { username: 'fedora', password: 'via-agent' });
    t.teardown(() => ssh.end());
    const sftp = await new Promise<ssh2.SFTPWrapper>((resolve, reject) => ssh.sftp((err, s) => (err ? reject(err) : resolve(s))));
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await new Promise<void>((resolve, reject) =>
      sftp.writeFile('notes.txt', 'written over SFTP\n', (err) => (err ? reject(err) : resolve())),
    );
    await new Promise<void>((resolve, reject) => sftp.writeFile('/tmp/bytes.bin', binary, (err) => (err ? reject(err) : resolve())));
    const readBack = await new Promise<Buffer>((resolve, reject) =>
      sftp.readFile('/tmp/bytes.bin', (err, data) => (err ? reject(err) : resolve(data))),
    );
    t.ok(readBack.equals(binary), 'every byte value comes back');
    const listing = await new Promise<ssh2.FileEntryWithStats[]>((resolve, reject) =>
      sftp.readdir('.', (err, list) => (err ? reject(err) : resolve(list))),
    );
    t.match(
      listing.find((entry) => entry.filename === 'notes.txt'),
      { attrs: { size: 18 }, longname: /^-rw-r--r-- +1 fedora +fedora +18 \w{3} [ \d]\d \d\d:\d\d notes\.txt$/ },
    );
    const denied = await new Promise<Error | undefined>((resolve) => sftp.writeFile('/etc/motd', 'x', (err) => resolve(err)));
    t.match(denied, { message: 'Permission denied', code: 3 }, 'a user may not write /etc');

    await scpSend(ssh, 'copied.txt', 'local.txt', Buffer.from('sent with scp -t\n'));
    await scpSend(ssh, '/tmp', 'local.txt', Buffer.from('into a directory\n'));
    t.same(await sshExec(ssh, 'cat copied.txt /tmp/local.txt'), { stdout: 'sent with scp -t\ninto a directory\n', code: 0 });
    await t.rejects(scpSend(ssh, '/etc/motd', 'motd', Buffer.from('x')), { message: 'scp: /etc/motd: Permission denied' });
    const received = await scpReceive(ssh, 'notes.txt');
    t.same([received.record, received.bytes.toString()], ['C0644 18 notes.txt', 'written over SFTP\n']);
    await t.rejects(scpReceive(ssh, '/nope'), { message: 'scp: /nope: No such file or directory' });

    const console = await ConsoleSession.open(emulator, 'secrets');
    t.teardown(() => console.close());
    console.send('fedora\r');
    await console.expect(/Password: $/);
    console.send('via-agent\r');
    const prompt = /\[fedora@secrets ~\]\$ $/;
    await console.expect(prompt);
    t.equal(
      await console.run('cat notes.txt copied.txt', prompt),
      'written over SFTP\nsent with scp -t\n',
      'the console sees the same files',
    );
    console.send('exit\r');
    await console.expect(/login: $/);
  });

  t.test('kubectl port-forward to the launcher pod reaches the masquerade guest: WebSocket tunnel, SPDY, a Service', async (t) => {
    const options = { kubeconfig: fixture.kubeconfigPath, cacheDir: await mkdtemp(join(tmpdir(), 'kube-cache-')) };
    const pod = (await kubectl(['get', 'pods', '-l', 'vm.kubevirt.io/name=fedora', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const service = `{"apiVersion":"v1","kind":"Service","metadata":{"name":"fedora-ssh"},
      "spec":{"selector":{"vm.kubevirt.io/name":"fedora"},"ports":[{"port":2222,"targetPort":22}]}}`;
    t.equal((await kubectl(['apply', '-f', '-'], { input: service })).code, 0);
    const targets: Array<[string, number, NodeJS.ProcessEnv]> = [
      [`pod/${pod}`, 22, {}],
      [`pod/${pod}`, 22, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
      ['svc/fedora-ssh', 2222, {}],
    ];
    for (const [target, port, env] of targets) {
      const forward = await startPortForward(target, port, { ...options, env });
      t.teardown(() => forward.stop());
      const ssh = await sshOverTcp(forward.localPort, { username: 'fedora', privateKey: key.private });
      t.same(await sshExec(ssh, 'hostname'), { stdout: 'fedora\n', code: 0 }, `${target} ${JSON.stringify(env)}`);
      ssh.end();
    }

    const plain = await kubectl(['create', '--raw', `/api/v1/namespaces/default/pods/${pod}/portforward`, '-f', '-'], { input: '{}' });
    t.match(plain.stderr, 'Upgrade request required', 'a request that is no upgrade');

    const refused = await startPortForward(`pod/${pod}`, 80, options);
    t.teardown(() => refused.stop());
    await new Promise<void>((resolve) =>
      connect(refused.localPort, '127.0.0.1')
        .on('close', () => resolve())
        .on('error', () => resolve()),
    );
    for (let i = 0; i < 50 && !refused.stderr().includes('lost connection'); i++) await new Promise((r) => setTimeout(r, 100));
    // klog quotes the error, escaping its quotes.
    const logged = refused.stderr().replaceAll('\\"', '"');
    t.match(
      logged,
      /an error occurred forwarding \d+ -> 80: error forwarding port 80 to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace "\/var\/run\/netns\/cni-[-0-9a-f]+": failed to connect to localhost:80 inside namespace "[0-9a-f]{64}", IPv4: dial tcp4 127\.0\.0\.1:80: connect: connection refused/,
      "a port the guest does not listen on: the runtime's error reaches kubectl",
    );
    t.match(logged, /error: lost connection to pod/, 'and kubectl 1.32 stops forwarding, as it does on any forwarding error');
  });

  t.test('a port without a listener refuses, before any WebSocket is opened', async (t) => {
    const ip = (await kubectl(['get', 'vmi', 'cirros', '-o', 'jsonpath={.status.interfaces[0].ipAddress}'])).stdout;
    const refused = await openStream(emulator, `${subresources}/virtualmachineinstances/cirros/portforward/80`).catch((err) => err);
    t.equal(refused.status, 500);
    t.equal(JSON.parse(refused.body).message, `Internal error occurred: dialing VM: dial tcp ${ip}:80: connect: connection refused`);
  });

  // virtctl softreboot with the guest agent connected (tests/vmi_lifecycle_test.go "soft reboot vmi with agent connected
  // should succeed"): the guest reboots, which KubeVirt's test sees as a new /proc/sys/kernel/random/boot_id on the
  // console; the agent reconnects after the boot and the VMI is the same object (same uid, still Running).
  t.test('softreboot with the agent connected boots the guest again: a new boot_id, the same VMI', async (t) => {
    const uid = (await kubectl(['get', 'vmi', 'fedora', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const console = await ConsoleSession.open(emulator, 'fedora');
    t.teardown(() => console.close());
    const prompt = /\[fedora@fedora ~\]\$ $/;
    const login = async () => {
      console.send('fedora\r');
      await console.expect(/Password: $/);
      console.send('fedora\r');
      await console.expect(prompt);
    };
    // The serial console may still be logged in from an earlier session, as a real one stays.
    console.send('\r');
    if ((await console.expect(/login: $|\$ $/)).endsWith('login: ')) await login();
    const bootId = (await console.run('cat /proc/sys/kernel/random/boot_id', prompt)).trim();
    t.match(bootId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    t.equal((await console.run('cat /proc/sys/kernel/random/boot_id', prompt)).trim(), bootId, 'stable within a boot');

    const reboot = await kubectl(['replace', '--raw', `${subresources}/virtualmachineinstances/fedora/softreboot`, '-f', '-'], {
      input: '{}',
    });
    t.equal(reboot.code, 0, reboot.stderr);
    t.match(await console.expect(/fedora login: $/), /reboot: Restarting system\r\n.*Linux version/s, 'the guest went down and booted');
    await login();
    const newBootId = (await console.run('cat /proc/sys/kernel/random/boot_id', prompt)).trim();
    t.match(newBootId, /^[0-9a-f-]{36}$/);
    t.not(newBootId, bootId, 'a new boot');

    const agent = await kubectl(['wait', 'vmi/fedora', '--for=condition=AgentConnected', '--timeout=60s'], { timeoutMs: 70_000 });
    t.equal(agent.code, 0, agent.stderr);
    const info = JSON.parse((await kubectl(['get', '--raw', `${subresources}/virtualmachineinstances/fedora/guestosinfo`])).stdout);
    t.equal(info.hostname, 'fedora', 'the agent answers again');
    const after = (await kubectl(['get', 'vmi', 'fedora', '-o', 'jsonpath={.metadata.uid} {.status.phase}'])).stdout;
    t.equal(after, `${uid} Running`, 'the same VMI, still Running');
  });

  t.test('reboot boots the guest again; sudo poweroff ends the VMI and runStrategy Always starts a new one', async (t) => {
    const uid = (await kubectl(['get', 'vmi', 'always', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const console = await ConsoleSession.open(emulator, 'always');
    t.teardown(() => console.close());
    console.send('fedora\r');
    await console.expect(/Password: $/);
    console.send('fedora\r');
    const prompt = /\[fedora@always ~\]\$ $/;
    await console.expect(prompt);
    t.equal(await console.run('reboot', prompt), 'Call to Reboot failed: Interactive authentication required.\n', 'only root may reboot');
    console.send('sudo reboot\r');
    t.match(
      await console.expect(/always login: $/),
      /reboot: Restarting system\r\n.*Linux version 6\.11\.4.*Fedora Linux 41 \(Cloud Edition\)/s,
    );
    console.send('fedora\r');
    await console.expect(/Password: $/);
    console.send('fedora\r');
    await console.expect(prompt);
    console.send('sudo poweroff\r');
    await console.expect(/reboot: Power down/);
    const deadline = Date.now() + 30_000;
    let next = uid;
    while (next === uid && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      next = (await kubectl(['get', 'vmi', 'always', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    }
    t.not(next, uid, 'a new VMI');
    const events = (await kubectl(['get', 'events', '--field-selector', `involvedObject.uid=${uid}`, '-o', 'jsonpath={.items[*].message}']))
      .stdout;
    t.match(events, /The VirtualMachineInstance was shut down\./, 'the old VMI went Succeeded');
  });
});
