import t from 'tap';
import type { Pod } from '../../../../src/kube/pods.js';
import { POD, podOn, until, virtualEmulator } from './virtual-emulator.js';

const WORKER = 'kubevirt-emulator-worker';

t.test('pods/log', async (t) => {
  const { emulator, clock } = await virtualEmulator(t);
  const { client } = emulator;
  const logs = (pod: string, query = '') =>
    fetch(`${emulator.url}/api/v1/namespaces/default/pods/${pod}/log${query}`, {
      headers: { authorization: `Bearer ${emulator.adminToken}` },
    });

  await client.create(podOn(WORKER, 'web'));
  await client.create(
    podOn(WORKER, 'two', {
      containers: [
        { name: 'a', image: 'busybox', command: ['sh', '-c', 'echo hello; echo "second line"; sleep 3600'] },
        { name: 'b', image: 'redis' },
      ],
    }),
  );
  await until(clock, async () => (await client.get<Pod>(POD, 'default', 'two')).status?.phase === 'Running');

  const nginx = await logs('web');
  t.equal(nginx.status, 200);
  t.match(nginx.headers.get('content-type'), /^text\/plain/);
  const text = await nginx.text();
  t.match(text, /Configuration complete; ready for start up/);
  t.match(text, /\[notice\] 1#1: nginx\/1\.27\.0/);

  t.equal(await (await logs('web', '?tailLines=2')).text(), text.split('\n').slice(-3).join('\n'));
  t.match(
    await (await logs('web', '?tailLines=1&timestamps=true')).text(),
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z .*start worker process 29\n$/,
  );

  const ambiguous = await logs('two');
  t.equal(ambiguous.status, 400);
  t.match(await ambiguous.json(), {
    reason: 'BadRequest',
    message: 'a container name must be specified for pod two, choose one of: [a b]',
  });
  t.equal(await (await logs('two', '?container=a')).text(), 'hello\nsecond line\n');
  t.match(await (await logs('two', '?container=nope')).json(), { message: 'container nope is not valid for pod two' });
  t.match(await (await logs('web', '?previous=true')).json(), {
    code: 400,
    message: 'previous terminated container "nginx" in pod "web" not found',
  });
  t.equal((await logs('missing')).status, 404);
});

t.test('pods/log follow streams until the container stops', async (t) => {
  const { emulator, clock } = await virtualEmulator(t);
  const { client } = emulator;
  await client.create(podOn(WORKER, 'web'));
  await until(clock, async () => (await client.get<Pod>(POD, 'default', 'web')).status?.phase === 'Running');
  const response = await fetch(`${emulator.url}/api/v1/namespaces/default/pods/web/log?follow=true`, {
    headers: { authorization: `Bearer ${emulator.adminToken}` },
  });
  t.equal(response.status, 200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let received = decoder.decode((await reader.read()).value);
  t.match(received, /start worker process 29\n$/);
  await client.delete(POD, 'default', 'web');
  await clock.advance(1_000);
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received += decoder.decode(chunk.value);
  t.match(
    received,
    /signal 3 \(SIGQUIT\) received, shutting down\n[\s\S]*\[notice\] 1#1: exit\n$/,
    'the shutdown lines, then the end of the stream',
  );
});
