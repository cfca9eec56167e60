// Issue 14: kube-apiserver serves HTTP/2 and HTTP/1.1 on one TLS port, chosen by ALPN (Go's net/http server with
// NextProtos h2, http/1.1: k8s.io/apiserver/pkg/server/secure_serving.go), and client-go's watch handling depends on
// HTTP/2. The real kubectl (Go) negotiates h2 by itself; node:http2 stands in for any other HTTP/2 client; HTTP/1.1
// clients (and WebSocket upgrades, which HTTP/2 has no Upgrade for) keep working on the same port.
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import t from 'tap';
import { parse } from 'yaml';
import { withEmulator } from '../../helpers/cluster.js';
import { rawConnection } from '../../helpers/raw-http.js';
import { rawClient } from '../../helpers/raw-https.js';

t.test('HTTP/2 and HTTP/1.1 on the same port: lists, watches, kubectl', async (t) => {
  const { emulator, kubeconfigPath, kubectl } = await withEmulator(t);
  const kubeconfig = parse(readFileSync(kubeconfigPath, 'utf8'));
  const fromData = (field: string) => Buffer.from(kubeconfig.users[0].user[field], 'base64');
  const credentials = {
    ca: Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64'),
    cert: fromData('client-certificate-data'),
    key: fromData('client-key-data'),
  };
  const { hostname, port } = new URL(emulator.url);

  for (const [offered, chosen] of [
    [['h2', 'http/1.1'], 'h2'],
    [['http/1.1'], 'http/1.1'],
  ] as const) {
    const protocol = await new Promise<string | false>((resolve, reject) => {
      const socket = tls.connect({ host: hostname, port: Number(port), servername: hostname, ALPNProtocols: [...offered], ...credentials });
      socket.on('secureConnect', () => {
        resolve(socket.alpnProtocol);
        socket.end();
      });
      socket.on('error', reject);
    });
    t.equal(protocol, chosen, `ALPN ${offered.join(',')} → ${chosen}`);
  }

  // What is not TLS ends the connection, as Go's net/http ends it after a failed handshake; plain HTTP first gets
  // Go's clear-text answer (net/http server.go, tlsRecordHeaderLooksLikeHTTP).
  const plainHttp = rawConnection(emulator.url, 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
  const notTls = rawConnection(emulator.url, '\x00\x01\x02 not a TLS record\r\n\r\n');
  for (let waited = 0; waited < 10_000 && !(plainHttp.state.closed && notTls.state.closed); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.equal(plainHttp.state.text, 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
  t.ok(plainHttp.state.closed, 'plain HTTP on the TLS port: answered, then closed');
  t.equal(notTls.state.text, '', 'bytes that are not TLS get no answer');
  t.ok(notTls.state.closed, 'and their connection is closed');

  const session = http2.connect(emulator.url, credentials);
  const request = (headers: http2.OutgoingHttpHeaders) => session.request(headers);
  const list = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const stream = request({ ':path': '/api/v1/namespaces/default/configmaps', ':method': 'GET' });
    let status = 0;
    let body = '';
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      body += chunk;
    });
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
  });
  t.equal(list.status, 200);
  t.equal(JSON.parse(list.body).kind, 'ConfigMapList');

  // Go's HTTP/2 server counts a header list by its size only (MaxHeaderBytes, 1 MiB in kube-apiserver), not by its
  // number of fields; Node's own default refuses more than 128 fields.
  const manyHeaders = http2.connect(emulator.url, credentials);
  const manyHeadersStatus = await new Promise<number>((resolve, reject) => {
    const fields = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x-field-${i}`, 'v']));
    const stream = manyHeaders.request({ ':path': '/api/v1/namespaces/default', ':method': 'GET', ...fields });
    stream.on('response', (headers) => resolve(Number(headers[':status'])));
    stream.on('error', reject);
    stream.resume();
  });
  t.equal(manyHeadersStatus, 200, '300 header fields over HTTP/2');
  manyHeaders.close();

  // A watch over HTTP/2: events arrive as DATA frames while the stream stays open.
  const watch = request({ ':path': '/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dh2', ':method': 'GET' });
  const events: { type: string; object: { metadata: { name: string } } }[] = [];
  let buffered = '';
  const twoEvents = new Promise<void>((resolve) => {
    watch.setEncoding('utf8');
    watch.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line) events.push(JSON.parse(line));
      if (events.length >= 2) resolve();
    });
  });
  const api = rawClient(emulator.url, kubeconfigPath);
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'h2' }, data: { k: 'v1' } };
  t.equal((await api.send('POST', '/api/v1/namespaces/default/configmaps', { body: cm })).status, 201, 'created over HTTP/1.1');

  // kubectl wait watches the ConfigMap; Go's http2debug log shows the request went over HTTP/2.
  const waiting = kubectl(['wait', 'cm/h2', '--for=jsonpath={.data.k}=v2', '--timeout=20s'], { env: { GODEBUG: 'http2debug=1' } });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const patched = await api.send('PATCH', '/api/v1/namespaces/default/configmaps/h2', {
    body: { data: { k: 'v2' } },
    headers: { 'content-type': 'application/merge-patch+json' },
  });
  t.equal(patched.status, 200);
  await twoEvents;
  t.same(
    events.map((e) => `${e.type} ${e.object.metadata.name}`),
    ['ADDED h2', 'MODIFIED h2'],
    'the HTTP/2 watch saw both events',
  );
  watch.close();
  const waited = await waiting;
  t.equal(waited.code, 0, 'kubectl wait saw the change');
  t.equal(waited.stdout.trim(), 'configmap/h2 condition met');
  t.match(waited.stderr, /http2: Transport/, 'kubectl spoke HTTP/2');

  // Bodies of unknown length (no content-length, no Transfer-Encoding in HTTP/2): kubectl create --raw from stdin,
  // and a DELETE whose DeleteOptions ask for a dry run.
  const raw = await kubectl(['create', '--raw', '/api/v1/namespaces/default/configmaps', '-f', '-'], {
    input: JSON.stringify({ ...cm, metadata: { name: 'h2-raw' } }),
  });
  t.equal(raw.code, 0, raw.stderr);
  const dryDelete = await new Promise<number>((resolve, reject) => {
    const headers = { ':path': '/api/v1/namespaces/default/configmaps/h2-raw', ':method': 'DELETE', 'content-type': 'application/json' };
    // Node ends a DELETE's stream with its headers unless told it has a body.
    const stream = session.request(headers, { endStream: false });
    let status = 0;
    stream.on('response', (h) => {
      status = Number(h[':status']);
    });
    stream.resume();
    stream.on('end', () => resolve(status));
    stream.on('error', reject);
    stream.end(JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] }));
  });
  t.equal(dryDelete, 200);
  t.equal((await api.send('GET', '/api/v1/namespaces/default/configmaps/h2-raw')).status, 200, 'the dry-run DELETE read its body');
  t.match(waited.stderr, /http2: Transport encoding header ":path" = "[^"]*watch=true/, 'including its watch');
  await new Promise<void>((resolve) => session.close(() => resolve()));
});
