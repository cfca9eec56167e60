import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import t from 'tap';
import { adminUser } from '../../../../../src/auth/user.js';
import { FrameDecoder, Opcode, encodeFrame } from '../../../../../src/kubevirt/api/subresources/websocket.js';
import { VM_REF, base, harness, type Harness } from './harness.js';

const vmiConflict = (name: string, text: string) => ({
  reason: 'Conflict',
  code: 409,
  details: { name, group: 'kubevirt.io', kind: 'virtualmachineinstance' },
  message: `Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "${name}": ${text}`,
});

const condition = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: null });

t.test('pause, unpause, softreboot, reset go to virt-handler after virt-api validation', async (t) => {
  const h = await harness(t);
  await h.vmi('pending', { phase: 'Scheduled' });
  t.match((await h.call('PUT', `${base}/virtualmachineinstances/pending/pause`, '{}')).json, vmiConflict('pending', 'VM is not running'));
  t.match((await h.call('PUT', `${base}/virtualmachineinstances/pending/unpause`)).json, vmiConflict('pending', 'VMI is not running'));
  t.match((await h.call('PUT', `${base}/virtualmachineinstances/pending/softreboot`)).json, vmiConflict('pending', 'VM is not running'));
  t.same(h.handlerCalls, [], 'the handler was not asked');

  await h.vmi('vmi', { phase: 'Running' });
  const paused = await h.call('PUT', `${base}/virtualmachineinstances/vmi/pause`, '{}');
  t.equal(paused.status, 200);
  t.equal(paused.body, undefined);
  t.equal((await h.call('PUT', `${base}/virtualmachineinstances/vmi/pause`, '{"dryRun": ["All"]}')).status, 200);
  t.match((await h.call('PUT', `${base}/virtualmachineinstances/vmi/unpause`)).json, vmiConflict('vmi', 'VMI is not paused'));
  t.equal((await h.call('PUT', `${base}/virtualmachineinstances/vmi/softreboot`)).status, 200);
  t.equal((await h.call('PUT', `${base}/virtualmachineinstances/vmi/reset`)).status, 200);
  t.same(
    h.handlerCalls.map((c) => c.command),
    ['pause', 'softReboot', 'reset'],
    'the dry run stopped after validation',
  );

  await h.vmi('paused', { phase: 'Running', conditions: [condition('Paused')] });
  t.match((await h.call('PUT', `${base}/virtualmachineinstances/paused/pause`)).json, vmiConflict('paused', 'VMI is already paused'));
  t.match((await h.call('PUT', `${base}/virtualmachineinstances/paused/softreboot`)).json, vmiConflict('paused', 'VMI is paused'));
  t.equal((await h.call('PUT', `${base}/virtualmachineinstances/paused/unpause`)).status, 200);

  await h.vmi('probed', { phase: 'Running' }, { livenessProbe: { httpGet: { port: 1500 } } });
  const forbidden = await h.call('PUT', `${base}/virtualmachineinstances/probed/pause`);
  t.equal(forbidden.status, 403);
  t.equal(
    (forbidden.json as { message: string }).message,
    'virtualmachineinstance.kubevirt.io "probed" is forbidden: Pausing VMIs with a non-GuestAgentPing LivenessProbe is not supported',
  );

  await h.vmi(
    'noacpi',
    { phase: 'Running' },
    { domain: { features: { acpi: { enabled: false } }, devices: {}, resources: { requests: { memory: '128Mi' } } } },
  );
  t.match(
    (await h.call('PUT', `${base}/virtualmachineinstances/noacpi/softreboot`)).json,
    vmiConflict('noacpi', 'VMI neither have the agent connected nor the ACPI feature enabled'),
  );

  const snapshotting = await h.vm('snap', { runStrategy: 'Always' }, { snapshotInProgress: 'snap-1' });
  await h.vmi('snap', { phase: 'Running', conditions: [condition('Paused')] }, {}, snapshotting);
  t.match((await h.call('PUT', `${base}/virtualmachineinstances/snap/unpause`)).json, {
    code: 409,
    message: 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "snap": VM snapshot is in progress',
  });

  const missing = await h.call('PUT', `${base}/virtualmachineinstances/nope/pause`);
  t.equal(missing.status, 404);
  t.equal((missing.json as { message: string }).message, 'virtualmachineinstance.kubevirt.io "nope" not found');
});

t.test('a handler failure is a 500; reset of a VMI that is not running says so', async (t) => {
  const h = await harness(t);
  const failing = { pause: fail, unpause: fail, softReboot: fail, reset: fail };
  async function fail(): Promise<void> {
    throw new Error('domain is not running');
  }
  const { virtApiSubresources } = await import('../../../../../src/kubevirt/api/subresources/index.js');
  const backend = virtApiSubresources({ client: h.emulator.client, handler: failing, kubernetesVersion: 'v1.32.3' });
  await h.vmi('booting', { phase: 'Scheduled' });
  const reset = await backend.serve({
    method: 'PUT',
    path: `${base}/virtualmachineinstances/booting/reset`,
    query: new URLSearchParams(),
    headers: {},
    body: undefined,
    user: adminUser,
  });
  t.equal(reset.status, 500);
  t.equal(
    JSON.parse(String(reset.body)).message,
    'Internal error occurred: Failed to reset non-running VMI with phase Scheduled: domain is not running',
  );
});

t.test('guest agent GETs: data from the simulated guest, plain-text 500s without a connected agent', async (t) => {
  const h = await harness(t);
  await h.vmi('noagent', { phase: 'Running' });
  const noAgent = await h.call('GET', `${base}/virtualmachineinstances/noagent/guestosinfo`);
  t.equal(noAgent.status, 500);
  t.equal(noAgent.contentType, 'text/plain');
  t.equal(
    noAgent.body,
    'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "noagent": VMI does not have guest agent connected',
  );
  await h.vmi('stopped', { phase: 'Succeeded' });
  t.equal(
    (await h.call('GET', `${base}/virtualmachineinstances/stopped/userlist`)).body,
    'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "stopped": VMI is not running',
  );
  t.equal(
    (await h.call('GET', `${base}/virtualmachineinstances/nope/filesystemlist`)).body,
    'virtualmachineinstance.kubevirt.io "nope" not found',
  );

  await h.vmi(
    'agent',
    { phase: 'Running', conditions: [condition('AgentConnected')], guestOSInfo: { id: 'fedora', name: 'Fedora Linux', versionId: '41' } },
    { hostname: 'db-1' },
  );
  const info = await h.call('GET', `${base}/virtualmachineinstances/agent/guestosinfo`);
  t.equal(info.status, 200);
  t.match(info.json, {
    hostname: 'db-1',
    os: { id: 'fedora', versionId: '41' },
    fsInfo: { disks: [{ mountPoint: '/', fileSystemType: 'btrfs' }] },
    fsFreezeStatus: 'thawed',
  });
  t.ok((info.json as { supportedCommands: Array<{ name: string }> }).supportedCommands.some((c) => c.name === 'guest-get-osinfo'));
  t.same((await h.call('GET', `${base}/virtualmachineinstances/agent/userlist`)).json, { metadata: {}, items: [] });
  t.match((await h.call('GET', `${base}/virtualmachineinstances/agent/filesystemlist`)).json, {
    metadata: {},
    items: [{ diskName: 'vda4', fileSystemType: 'btrfs', totalBytes: 4669 * 1024 ** 2 }],
  });
});

t.test('evacuate/cancel removes the evacuation node unless the node is still drained', async (t) => {
  const h = await harness(t);
  const vm = await h.vm('vm', { runStrategy: 'Always' });
  t.match((await h.call('PUT', `${base}/virtualmachines/vm/evacuate/cancel`, '{}')).json, {
    code: 409,
    message: 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm": VMI is not started',
  });
  const nodes = await h.emulator.client.list({ apiVersion: 'v1', kind: 'Node' });
  const node = nodes.items[0].metadata.name!;
  await h.vmi('vm', { phase: 'Running', nodeName: node, evacuationNodeName: node }, {}, vm);
  await h.emulator.client.update({ ...(await h.get(VM_REF, 'vm')), status: { created: true } } as never, { subresource: 'status' });
  t.equal((await h.call('PUT', `${base}/virtualmachines/vm/evacuate/cancel`, JSON.stringify({ evacuationNodeName: node }))).status, 200);
  t.notOk((await h.get({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' }, 'vm')).status?.evacuationNodeName);
  t.equal((await h.call('PUT', `${base}/virtualmachineinstances/vm/evacuate/cancel`)).status, 200, 'nothing to cancel is a no-op');
});

/** A real HTTP server in front of the backend's upgrade path, and a WebSocket client speaking to it. */
async function openStream(
  t: { equal(a: unknown, b: unknown): void; teardown(fn: () => unknown): void },
  h: Harness,
  path: string,
): Promise<{ status: number; body: string; socket?: Duplex; frames: () => Promise<Buffer[]> }> {
  const server = createServer();
  server.on('upgrade', (req, socket, head) =>
    h.backend.upgrade(
      { method: 'GET', path: req.url!, query: new URLSearchParams(), headers: req.headers, body: undefined, user: adminUser },
      socket,
      head,
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  return new Promise((resolve, reject) => {
    const req = request({
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Protocol': 'plain.kubevirt.io',
      },
    });
    req.on('upgrade', (res, socket, head) => {
      const decoder = new FrameDecoder();
      const received: Buffer[] = [];
      // Each entry: the opcode byte, then the payload. Bytes that came with the 101 are in `head`.
      const take = (chunk: Buffer) => received.push(...decoder.push(chunk).map((f) => Buffer.concat([Buffer.from([f.opcode]), f.payload])));
      take(head);
      socket.on('data', take);
      t.equal(res.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
      t.equal(res.headers['sec-websocket-protocol'], 'plain.kubevirt.io');
      const frames = async () => {
        await new Promise((r) => setTimeout(r, 50));
        return received.splice(0);
      };
      resolve({ status: res.statusCode!, body: '', socket, frames });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, frames: async () => [] }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('console and vnc over WebSocket', async (t) => {
  const h = await harness(t);
  await h.vmi('booting', { phase: 'Scheduled' });
  const notRunning = await openStream(t, h, `${base}/virtualmachineinstances/booting/console`);
  t.equal(notRunning.status, 400);
  t.equal(JSON.parse(notRunning.body).message, 'VMI is not running');
  await h.vmi(
    'noserial',
    { phase: 'Running' },
    {
      domain: {
        devices: { autoattachSerialConsole: false, autoattachGraphicsDevice: false },
        resources: { requests: { memory: '128Mi' } },
      },
    },
  );
  t.equal(
    JSON.parse((await openStream(t, h, `${base}/virtualmachineinstances/noserial/console`)).body).message,
    'No serial consoles are present.',
  );
  t.equal(
    JSON.parse((await openStream(t, h, `${base}/virtualmachineinstances/noserial/vnc`)).body).message,
    'No graphics devices are present.',
  );
  await h.vmi('failed', { phase: 'Failed' });
  t.equal((await openStream(t, h, `${base}/virtualmachineinstances/failed/console`)).status, 409);

  await h.vmi('vmi', { phase: 'Running', interfaces: [{ name: 'default', ipAddress: '10.244.1.7' }] });
  const console = await openStream(t, h, `${base}/virtualmachineinstances/vmi/console`);
  t.equal(console.status, 101);
  t.same(await console.frames(), [], 'a serial port does not replay the past');
  console.socket!.write(encodeFrame(Opcode.Binary, Buffer.from('\r'), Buffer.from([1, 2, 3, 4])));
  const getty = Buffer.concat((await console.frames()).map((f) => f.subarray(1))).toString();
  t.equal(getty, '\r\nvmi login: ', 'Enter at the login prompt prints it again, as getty does');
  console.socket!.write(encodeFrame(Opcode.Binary, Buffer.from('root\r'), Buffer.from([1, 2, 3, 4])));
  const afterLogin = Buffer.concat((await console.frames()).map((f) => f.subarray(1))).toString();
  t.match(afterLogin, /root\r\nPassword: $/, 'the login name is echoed, then the password asked');
  console.socket!.destroy();

  const vnc = await openStream(t, h, `${base}/virtualmachineinstances/vmi/vnc`);
  t.equal(vnc.status, 101);
  const [greeting] = await vnc.frames();
  t.equal(greeting[0], Opcode.Binary);
  t.equal(greeting.subarray(1).toString(), 'RFB 003.008\n', 'the server speaks first: RFB 3.8');
  vnc.socket!.write(encodeFrame(Opcode.Binary, Buffer.from('HTTP/1.1 200\r\n'), Buffer.from([1, 2, 3, 4])));
  const [close] = await vnc.frames();
  t.equal(close[0], Opcode.Close);
  t.equal(close.readUInt16BE(1), 1002, 'a client that does not speak RFB breaks the protocol');
  t.match(close.subarray(3).toString(), /unsupported protocol version/);
});
