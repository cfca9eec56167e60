import t from 'tap';
import { evaluateJsonPath, goJson, printerCellValue } from '../../../src/api/jsonpath.js';

const vmi = {
  metadata: { name: 'vm1', labels: { 'kubevirt.io/domain': 'vm1' }, creationTimestamp: '2024-01-01T00:00:00Z' },
  status: {
    phase: 'Running',
    nodeName: 'node01',
    interfaces: [
      { name: 'default', ipAddress: '10.244.0.7', ipAddresses: ['10.244.0.7', 'fd00::7'] },
      { name: 'secondary', ipAddress: '192.168.1.5' },
    ],
    conditions: [
      { type: 'LiveMigratable', status: 'False', reason: 'DisksNotLiveMigratable' },
      { type: 'Ready', status: 'True' },
    ],
    memory: { guestCurrent: 1024, ratio: 0.5 },
  },
};

t.test('paths', async (t) => {
  t.same(evaluateJsonPath('.status.phase', vmi), ['Running']);
  t.same(evaluateJsonPath('{.status.phase}', vmi), ['Running'], 'braces are optional');
  t.same(evaluateJsonPath('$.status.nodeName', vmi), ['node01']);
  t.same(evaluateJsonPath('.status.interfaces[0].ipAddress', vmi), ['10.244.0.7']);
  t.same(evaluateJsonPath('.status.interfaces[-1].name', vmi), ['secondary']);
  t.same(evaluateJsonPath('.status.interfaces[*].name', vmi), ['default', 'secondary']);
  t.same(evaluateJsonPath('.status.interfaces[0:1].name', vmi), ['default']);
  t.same(evaluateJsonPath('.status.interfaces[0].ipAddresses[1]', vmi), ['fd00::7']);
  t.same(evaluateJsonPath(".metadata.labels['kubevirt.io/domain']", vmi), ['vm1']);
  t.same(evaluateJsonPath('.metadata.labels.kubevirt\\.io/domain', vmi), ['vm1'], 'escaped dot');
  t.same(evaluateJsonPath('.status.missing.deeper', vmi), [], 'missing keys give no result');
  t.same(evaluateJsonPath('.status.interfaces[5]', vmi), [], 'index out of range gives no result');
  t.same(evaluateJsonPath('..ipAddress', vmi), ['10.244.0.7', '192.168.1.5'], 'recursive descent');
  t.same(evaluateJsonPath('.status.memory.*', vmi), [1024, 0.5]);
  t.same(evaluateJsonPath('{.metadata.name}{.status.phase}', vmi), ['vm1', 'Running'], 'several actions');
});

t.test('filters', async (t) => {
  t.same(evaluateJsonPath(".status.conditions[?(@.type=='Ready')].status", vmi), ['True']);
  t.same(evaluateJsonPath('.status.conditions[?(@.type=="LiveMigratable")].reason', vmi), ['DisksNotLiveMigratable']);
  t.same(evaluateJsonPath(".status.conditions[?(@.type!='Ready')].type", vmi), ['LiveMigratable']);
  t.same(evaluateJsonPath(".status.conditions[?(@.type=='Paused')].status", vmi), []);
  t.same(evaluateJsonPath('.status.conditions[?(@.reason)].type', vmi), ['LiveMigratable'], 'existence filter');
  const nums = { items: [{ n: 1 }, { n: 5 }, { n: 10 }] };
  t.same(evaluateJsonPath('.items[?(@.n > 4)].n', nums), [5, 10]);
  t.same(evaluateJsonPath('.items[?(@.n < 5)].n', nums), [1]);
  t.same(evaluateJsonPath('.items[?(@.n >= 5)].n', nums), [5, 10]);
  t.same(evaluateJsonPath('.items[?(@.n <= 1)].n', nums), [1]);
  t.same(evaluateJsonPath(".items[?(@.n == '5')].n", nums), [], 'no match across types');
});

t.test('printer cells', async (t) => {
  const now = new Date('2024-01-03T04:00:00Z');
  t.equal(printerCellValue('.status.phase', vmi), 'Running');
  t.equal(printerCellValue('.status.nope', vmi), null);
  t.equal(printerCellValue('.status.memory', vmi), '{"guestCurrent":1024,"ratio":0.5}', 'objects are JSON-encoded');
  t.equal(printerCellValue('.status.interfaces[0].ipAddresses', vmi), '["10.244.0.7","fd00::7"]');
  t.equal(printerCellValue('.status.memory.guestCurrent', vmi), '1024', 'numbers print as text in string columns');
  t.equal(printerCellValue('.status.memory.guestCurrent', vmi, 'integer'), 1024);
  t.equal(printerCellValue('.status.memory.ratio', vmi, 'integer'), 0, 'integers are truncated');
  t.equal(printerCellValue('.status.phase', vmi, 'integer'), null, 'wrong type gives null');
  t.equal(printerCellValue('.metadata.creationTimestamp', vmi, 'date', now), '2d4h');
  t.equal(printerCellValue('.status.phase', vmi, 'date', now), '<invalid>');
  t.same(printerCellValue('.x', { x: null }), '<no value>');
  t.equal(goJson({ b: '<a&b>', a: [1, true, null] }), '{"a":[1,true,null],"b":"\\u003ca\\u0026b\\u003e"}');
});
