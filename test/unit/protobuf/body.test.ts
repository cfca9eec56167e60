/** The server's body decoder hands protobuf bodies to the protobuf decoder. */
import t from 'tap';
import { StatusError } from '../../../src/api/errors.js';
import { decodeBody } from '../../../src/server/body.js';
import { encodeObject } from './encode-helper.js';

t.test('a protobuf body decodes to the JSON object', async (t) => {
  const body = encodeObject('v1', 'Namespace', { metadata: { name: 'team-a', generateName: '' }, spec: {}, status: {} });
  t.strictSame(decodeBody(body, 'application/vnd.kubernetes.protobuf'), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team-a' },
    spec: {},
    status: {},
  });
});

t.test('a body that is not protobuf under the protobuf media type is a 400', async (t) => {
  const error = (() => {
    try {
      decodeBody(Buffer.from('{"kind":"Namespace"}'), 'application/vnd.kubernetes.protobuf');
    } catch (err) {
      return err;
    }
  })();
  t.ok(error instanceof StatusError && error.code === 400 && error.reason === 'BadRequest', 'a 400 BadRequest StatusError');
});
