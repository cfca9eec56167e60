/**
 * A guest one can reach, through real protocols against one emulator with
 * KubeVirt installed: a WebSocket client logs in on the serial console of a
 * cirros VMI and of a cloud-init fedora VMI and runs commands; an ssh2 client
 * over the port-forward tunnel logs in with a key and with a password; the
 * guest agent's user list shows the console and SSH logins; a command gives
 * the same output on both; `sudo poweroff` ends the VMI Succeeded and a
 * `runStrategy: Always` VM starts a new one; `reboot` and a soft reboot through
 * virt-api boot the guest again (a new boot_id).
 */
import t from 'tap';
import ssh2 from 'ssh2';
import { withEmulator } from '../../helpers/cluster.js';
import { ConsoleSession, openStream, sshExec, sshToVmi } from '../../helpers/guest-streams.js';
import { installKubeVirt } from '../../helpers/kubevirt.js';

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
  const fixture = await withEmulator(t, { workers: 1 });
  const { kubectl, emulator } = fixture;
  await installKubeVirt(fixture);
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
