/** The small parsers behind authentication: kube's token file, certificate subjects, bearer headers, loopback hosts. */
import t from 'tap';
import { parseTokenFile } from '../../../src/auth/authentication/static-tokens.js';
import { subjectAttributes } from '../../../src/auth/authentication/client-certificates.js';
import { bearerToken } from '../../../src/auth/authentication/request-authenticator.js';
import { withAuthenticatedGroup, anonymousUser } from '../../../src/auth/user.js';
import { isLoopbackHost } from '../../../src/server/insecure-http.js';
import { buildKubeconfig } from '../../../src/server/kubeconfig.js';
import { parse } from 'yaml';

t.test('token file: token,user,uid,"group1,group2" as kube-apiserver reads it', async (t) => {
  const users = parseTokenFile('abc,alice,42,"devs,ops"\n# a comment\n\ndef,bob,\nshort,only\n,nobody,1\nabc,duplicate,2\n');
  t.same(
    [...users],
    [
      ['abc', { username: 'alice', uid: '42', groups: ['devs', 'ops'] }],
      ['def', { username: 'bob', groups: [] }],
    ],
  );
  t.same(parseTokenFile('t,"quoted ""name""",,g').get('t'), { username: 'quoted "name"', groups: ['g'] });
});

t.test('certificate subjects: CN and every O, with escapes undone', async (t) => {
  t.same(subjectAttributes('CN=alice\nO=devs\nO=system:authenticated\nO=a=b\\+c\\0Ad\nO=caf\\C3\\A9'), [
    ['CN', 'alice'],
    ['O', 'devs'],
    ['O', 'system:authenticated'],
    ['O', 'a=b+c\nd'],
    ['O', 'café'],
  ]);
});

t.test('bearer tokens, the authenticated group, loopback hosts', async (t) => {
  t.equal(bearerToken('Bearer abc'), 'abc');
  t.equal(bearerToken('bearer abc extra'), 'abc', 'the second field, as kube splits it');
  for (const header of [undefined, '', 'Basic YWRtaW46YWRtaW4=', 'Bearer', 'Bearer  abc'])
    t.equal(bearerToken(header), undefined, String(header));
  t.same(withAuthenticatedGroup({ username: 'alice', groups: ['devs'] }).groups, ['devs', 'system:authenticated']);
  t.equal(withAuthenticatedGroup(anonymousUser), anonymousUser, 'anonymous stays unauthenticated');
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) t.ok(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) t.notOk(isLoopbackHost(host), host);
});

t.test('a kubeconfig user with a client certificate, as kind writes it', async (t) => {
  const config = parse(
    buildKubeconfig({
      server: 'https://127.0.0.1:6443',
      caPem: 'CA',
      clientCertificate: { certPem: 'CERT', keyPem: 'KEY' },
      userName: 'alice',
    }),
  );
  t.same(config.users, [
    {
      name: 'alice',
      user: { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64') },
    },
  ]);
  t.same(config.contexts, [{ name: 'kubevirt-emulator', context: { cluster: 'kubevirt-emulator', user: 'alice' } }]);
});
