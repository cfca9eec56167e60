// Acceptance 8: malformed bodies, wrong media types, oversize bodies, unknown paths and invalid names all get a Status, and the server keeps serving.
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';

interface Answer {
  status: number;
  body: { kind?: string; reason?: string; code?: number; message?: string; details?: { causes?: { field?: string }[] } };
}

t.test('bad input gets the right Status', async (t) => {
  const { emulator } = await withEmulator(t, { insecureHttp: true });
  const send = async (method: string, path: string, body?: string | Buffer, contentType?: string): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    const response = await fetch(emulator.url + path, { method, headers, body });
    return { status: response.status, body: await response.json() };
  };
  const cms = '/api/v1/namespaces/default/configmaps';
  const expectStatus = (answer: Answer, code: number, reason: string, what: string) => {
    t.equal(answer.status, code, `${what}: HTTP ${code}`);
    t.equal(answer.body.kind, 'Status', `${what}: a Status body`);
    t.equal(answer.body.code, code, `${what}: code in the Status`);
    t.equal(answer.body.reason, reason, `${what}: reason ${reason}`);
  };

  expectStatus(await send('POST', cms, '{"apiVersion":', 'application/json'), 400, 'BadRequest', 'malformed JSON');
  expectStatus(await send('POST', cms, 'kind: [', 'application/yaml'), 400, 'BadRequest', 'malformed YAML');
  expectStatus(await send('POST', cms, '[1,2]', 'application/json'), 400, 'BadRequest', 'a body that is not an object');
  expectStatus(await send('POST', cms, '{}', 'text/csv'), 415, 'UnsupportedMediaType', 'unsupported media type');
  expectStatus(await send('PATCH', `${cms}/x`, '{}', 'application/json'), 415, 'UnsupportedMediaType', 'PATCH with a non-patch type');
  const big = JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'big' },
    data: { blob: 'x'.repeat(4 * 1024 * 1024) },
  });
  expectStatus(await send('POST', cms, big, 'application/json'), 413, 'RequestEntityTooLarge', 'oversize body');
  expectStatus(await send('GET', '/api/v1/nosuchthings'), 404, 'NotFound', 'unknown resource');
  expectStatus(await send('GET', '/apis/nosuch.example.com/v1/things'), 404, 'NotFound', 'unknown group');
  expectStatus(await send('GET', '/totally/unknown'), 404, 'NotFound', 'unknown path');
  expectStatus(await send('GET', `${cms}/missing`), 404, 'NotFound', 'missing object');

  const invalidName = await send(
    'POST',
    cms,
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } }),
    'application/json',
  );
  expectStatus(invalidName, 422, 'Invalid', 'invalid name');
  t.equal(invalidName.body.details?.causes?.[0]?.field, 'metadata.name');
  t.match(
    invalidName.body.message,
    'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain',
  );

  const wrongKind = await send(
    'POST',
    cms,
    JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }),
    'application/json',
  );
  expectStatus(wrongKind, 400, 'BadRequest', 'kind not matching the URL');

  const ok = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'good' }, data: { a: 'b' } };
  t.equal((await send('POST', cms, JSON.stringify(ok), 'application/json')).status, 201);
  expectStatus(await send('POST', cms, JSON.stringify(ok), 'application/json'), 409, 'AlreadyExists', 'duplicate create');
  const stale = { ...ok, metadata: { name: 'good', resourceVersion: '1' } };
  expectStatus(await send('PUT', `${cms}/good`, JSON.stringify(stale), 'application/json'), 409, 'Conflict', 'stale resourceVersion');
  expectStatus(await send('GET', `${cms}?watch=true&resourceVersion=notanumber`), 400, 'BadRequest', 'bad resourceVersion');
  expectStatus(await send('GET', `${cms}?labelSelector=${encodeURIComponent('a in (')}`), 400, 'BadRequest', 'bad label selector');

  // No half-written object: a rejected write left nothing behind, and the server still answers.
  t.equal((await send('GET', `${cms}/big`)).status, 404, 'oversize object not stored');
  t.equal((await send('GET', `${cms}/Bad_Name`)).status, 404, 'invalid object not stored');
  const health = await fetch(`${emulator.url}/healthz`);
  t.equal(await health.text(), 'ok', 'still serving');
});
