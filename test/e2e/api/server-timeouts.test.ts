// Connection timeouts as kube-apiserver's HTTP server has them (ReadHeaderTimeout 32 s, IdleTimeout 90 s): slowloris
// and idle connections are closed, HTTP/1.1 and HTTP/2 alike, a quiet watch is not. About 95 s of waiting, alone in
// its file.
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import t from 'tap';
import { parse } from 'yaml';
import { withEmulator } from '../../helpers/cluster.js';
import { rawConnection, WatchStream } from '../../helpers/raw-http.js';

const cms = '/api/v1/namespaces/default/configmaps';

t.test('slowloris and idle connections are closed; a quiet watch is not', async (t) => {
  const { emulator } = await withEmulator(t, { insecureHttp: true });
  // HTTP/2 needs TLS (ALPN): a second emulator, serving HTTPS.
  const secure = await withEmulator(t);
  const kubeconfig = parse(readFileSync(secure.kubeconfigPath, 'utf8'));
  const fromData = (field: string) => Buffer.from(kubeconfig.users[0].user[field], 'base64');
  const opened = Date.now();
  const credentials = {
    ca: Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64'),
    cert: fromData('client-certificate-data'),
    key: fromData('client-key-data'),
  };
  const session = http2.connect(secure.emulator.url, credentials);
  let sessionClosedAt = 0;
  session.on('close', () => (sessionClosedAt = Date.now()));
  session.on('error', () => undefined);
  const answered = await new Promise<number>((resolve, reject) => {
    const stream = session.request({ ':path': '/version', ':method': 'GET' });
    stream.on('response', (headers) => resolve(Number(headers[':status'])));
    stream.on('error', reject);
    stream.resume();
  });
  const silent = rawConnection(emulator.url, '');
  const slowloris = rawConnection(emulator.url, `GET ${cms} HTTP/1.1\r\nHost: x\r\n`);
  const drip = setInterval(() => slowloris.socket.write('X-Drip: 1\r\n'), 5_000);
  t.teardown(() => clearInterval(drip));
  const idle = rawConnection(emulator.url, 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
  // The same over TLS, where HTTP/1.1 shares the port with HTTP/2 (ALPN).
  const overTls = { tls: { ...credentials, ALPNProtocols: ['http/1.1'] } };
  const tlsSlowloris = rawConnection(secure.emulator.url, `GET ${cms} HTTP/1.1\r\nHost: x\r\n`, overTls);
  const tlsDrip = setInterval(() => tlsSlowloris.socket.write('X-Drip: 1\r\n'), 5_000);
  t.teardown(() => clearInterval(tlsDrip));
  const tlsIdle = rawConnection(secure.emulator.url, 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n', overTls);
  // TCP to the TLS port and then nothing, not even a ClientHello: the handshake counts against the header timeout, as in Go.
  const tlsSilent = rawConnection(secure.emulator.url, '');
  const watch = await WatchStream.open(`${emulator.url}${cms}?watch=true`);

  const closedWithin = async (connection: ReturnType<typeof rawConnection>, ms: number) => {
    while (!connection.state.closed && Date.now() - opened < ms) await new Promise((resolve) => setTimeout(resolve, 250));
    return connection.state.closed ? (connection.state.closedAt - opened) / 1000 : Infinity;
  };
  const silentAfter = await closedWithin(silent, 40_000);
  t.ok(silentAfter >= 31 && silentAfter < 40, `a connection that sends nothing is closed after the 32 s header timeout (${silentAfter} s)`);
  const tlsSilentAfter = await closedWithin(tlsSilent, 40_000);
  t.ok(tlsSilentAfter >= 31 && tlsSilentAfter < 40, `a connection that never starts TLS is closed at 32 s too (${tlsSilentAfter} s)`);
  const slowlorisAfter = await closedWithin(slowloris, 40_000);
  t.ok(slowlorisAfter >= 31 && slowlorisAfter < 40, `headers that trickle in are cut at 32 s (${slowlorisAfter} s)`);
  const tlsSlowlorisAfter = await closedWithin(tlsSlowloris, 40_000);
  t.ok(tlsSlowlorisAfter >= 31 && tlsSlowlorisAfter < 40, `over TLS too, trickling headers are cut at 32 s (${tlsSlowlorisAfter} s)`);
  t.match(idle.state.text, /^HTTP\/1\.1 200 OK/, 'the idle connection had its answer');
  t.match(tlsIdle.state.text, /^HTTP\/1\.1 200 OK/, 'the idle TLS connection had its answer');
  const idleAfter = await closedWithin(idle, 100_000);
  t.ok(idleAfter >= 89 && idleAfter < 100, `a keep-alive connection idle for 90 s is closed (${idleAfter} s)`);
  const tlsIdleAfter = await closedWithin(tlsIdle, 100_000);
  t.ok(tlsIdleAfter >= 89 && tlsIdleAfter < 100, `over TLS too (${tlsIdleAfter} s)`);
  t.notOk(watch.ended, 'a watch with nothing to say stays open (keep-alives)');
  watch.close();
  t.equal(answered, 200, 'the HTTP/2 connection had its answer');
  const sessionAfter = sessionClosedAt ? (sessionClosedAt - opened) / 1000 : Infinity;
  t.ok(sessionAfter >= 89 && sessionAfter < 100, `an HTTP/2 connection idle for 90 s is closed (${sessionAfter} s)`);
});
