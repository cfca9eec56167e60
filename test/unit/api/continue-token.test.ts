import t from 'tap';
import { decodeContinue, encodeContinue } from '../../../src/api/registry/continue-token.js';
import { StatusError } from '../../../src/api/errors.js';

t.test("tokens round-trip in kube-apiserver's encoding", async (t) => {
  const token = encodeContinue('default/b', 42);
  t.equal(Buffer.from(token, 'base64url').toString(), '{"v":"meta.k8s.io/v1","rv":42,"start":"default/b\\u0000"}');
  t.notMatch(token, /=/, 'unpadded');
  t.same(decodeContinue(token), { revision: 42, startKey: 'default/b\u0000' });
  t.same(decodeContinue(encodeContinue('b', -1)), { revision: -1, startKey: 'b\u0000' }, 'rv -1 continues at the newest revision');
});

t.test("forged tokens fail with storage.DecodeContinue's words", async (t) => {
  const raw = (text: string) => Buffer.from(text).toString('base64url');
  const cases: [string, string][] = [
    ['abcde', 'continue key is not valid: illegal base64 data at input byte 4'],
    ['ab=c', 'continue key is not valid: illegal base64 data at input byte 2'],
    [raw(''), 'continue key is not valid: unexpected end of JSON input'],
    [raw('xyz'), "continue key is not valid: invalid character 'x' looking for beginning of value"],
    [raw('"s"'), 'continue key is not valid: json: cannot unmarshal string into Go value of type storage.continueToken'],
    [raw('{"v":1}'), 'continue key is not valid: json: cannot unmarshal number into Go struct field continueToken.v of type string'],
    [
      raw('{"v":"meta.k8s.io/v1","rv":1.5,"start":"a"}'),
      'continue key is not valid: json: cannot unmarshal number 1.5 into Go struct field continueToken.rv of type int64',
    ],
    [raw('{"rv":3,"start":"a"}'), 'continue key is not valid: server does not recognize this encoded version '],
    [
      raw('{"v":"meta.k8s.io/v1","start":"a"}'),
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    ],
    [raw('{"v":"meta.k8s.io/v1","rv":3}'), 'continue key is not valid: encoded start key empty (version meta.k8s.io/v1)'],
    [raw('{"v":"meta.k8s.io/v1","rv":3,"start":"a/../../secrets"}'), 'continue key is not valid: a/../../secrets'],
    [raw('{"v":"meta.k8s.io/v1","rv":3,"start":"a//b"}'), 'continue key is not valid: a//b'],
  ];
  for (const [token, message] of cases) {
    t.throws(() => decodeContinue(token), new StatusError(400, 'BadRequest', `invalid continue token: ${message}`), message);
  }
  t.same(
    decodeContinue(raw('{"v":"meta.k8s.io/v1","rv":3,"start":"/default/a"}')),
    { revision: 3, startKey: 'default/a' },
    "a leading slash is the prefix's",
  );
});
