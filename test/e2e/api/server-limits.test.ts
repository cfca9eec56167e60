// What one client can hold of the server, bounded as kube-apiserver bounds it: requests in flight (429 with
// Retry-After) and watchers that stop reading (closed once over their bound). Connection timeouts: server-timeouts.test.ts.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { withEmulator } from '../../helpers/cluster.js';
import { rawConnection, WatchStream } from '../../helpers/raw-http.js';

const cms = '/api/v1/namespaces/default/configmaps';
const configMap = (name: string, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});

t.test('requests over the in-flight caps get 429 with Retry-After; long-running ones are not counted', async (t) => {
  const { emulator, kubectl } = await withEmulator(t, { insecureHttp: true, maxRequestsInflight: 1, maxMutatingRequestsInflight: 1 });
  const post = (name: string) =>
    fetch(emulator.url + cms, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(configMap(name)) });

  // A write whose body never finishes holds the only mutating slot.
  const slowWrite = rawConnection(
    emulator.url,
    `POST ${cms} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const refused = await post('refused');
  t.equal(refused.status, 429);
  t.equal(refused.headers.get('retry-after'), '1');
  t.equal(refused.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.equal(await refused.text(), 'Too many requests, please try again later.\n', "kube's max-in-flight answer");
  t.equal((await fetch(emulator.url + cms)).status, 200, 'reads have their own cap');

  // client-go honours Retry-After: kubectl retries and gets through once the slot is free.
  setTimeout(() => slowWrite.socket.destroy(), 1_500);
  const created = await kubectl(['create', 'configmap', 'after-retry']);
  t.equal(created.code, 0, created.stderr);
  t.equal((await post('free-again')).status, 201, 'the slot is freed when its request ends');

  // A list waiting for a resourceVersion the server has not reached holds the only read slot for 3 s.
  const waitingRead = fetch(`${emulator.url}${cms}?resourceVersion=999999999`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const refusedRead = await fetch(emulator.url + cms);
  t.equal(refusedRead.status, 429, 'a read over the cap');
  await refusedRead.text();
  const watch = await WatchStream.open(`${emulator.url}${cms}?watch=true`);
  t.equal(watch.status, 200, 'a watch is long-running and not counted');
  watch.close();
  t.equal((await waitingRead).status, 504);
});

t.test(
  'a watcher that stops reading is closed by an event that finds it over its bound past the grace; one that reads stays open',
  async (t) => {
    const { emulator } = await withEmulator(t, { insecureHttp: true });
    await emulator.client.create(configMap('churn'));
    const stuck = rawConnection(emulator.url, `GET ${cms}?watch=true HTTP/1.1\r\nHost: x\r\n\r\n`, { paused: true });
    const reading = await WatchStream.open(`${emulator.url}${cms}?watch=true&fieldSelector=metadata.name%3Dchurn`);

    // 16 KiB a version: first the kernel's socket buffers fill (Linux grows them up to tcp_rmem + tcp_wmem), then the
    // watch's own buffer (1 MiB of events).
    const blob = 'x'.repeat(16 * 1024);
    let updates = 0;
    const update = () => emulator.client.update({ ...configMap('churn', { blob: `${updates++}${blob}` }) });
    const fill = Math.ceil(kernelSocketBufferBytes() / blob.length) + 200;
    while (updates < fill) {
      await update();
      // In-process writes never wait on I/O; give the sockets a turn now and then, as HTTP clients' writes would.
      if (updates % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // Over its bound with a socket that has taken nothing for the grace (5 s of real time), the stuck watcher is closed
    // by the next event.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    await update();
    t.ok(await reading.until(() => reading.events.length >= updates, 60_000), 'a watcher that reads gets every event');
    t.notOk(reading.ended, 'and stays open');

    stuck.resume();
    const deadline = Date.now() + 20_000;
    while (!stuck.responseEnded() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    t.ok(stuck.responseEnded(), 'the stuck watcher was closed: its response ended, or its connection');
    t.ok(stuck.state.received < updates * blob.length, `it got part of the stream only (${stuck.state.received} bytes)`);
    t.equal((await fetch(`${emulator.url}${cms}/churn`)).status, 200, 'the server still answers');
    reading.close();
  },
);

/** The most a stuck TCP connection can hold in the kernel: the receiver's and the sender's socket buffers at their largest. */
function kernelSocketBufferBytes(): number {
  const largest = (path: string, fallback: number) => {
    try {
      return Number(readFileSync(path, 'utf8').trim().split(/\s+/)[2]);
    } catch {
      return fallback;
    }
  };
  return largest('/proc/sys/net/ipv4/tcp_rmem', 6 * 2 ** 20) + largest('/proc/sys/net/ipv4/tcp_wmem', 4 * 2 ** 20);
}
