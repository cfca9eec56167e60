import t from 'tap';
import { formatDuration, parseDuration } from '../../../src/runtime/duration.js';
import { renderTemplate } from '../../../src/scenario/template.js';

t.test('placeholders are replaced in strings, keys and nested values', async (t) => {
  const out = renderTemplate(
    { object: 'vm/{{vm}}-{{i}}', patch: { spec: { replicas: '{{n}}', '{{key}}': ['a-{{ i }}'] } } },
    { vm: 'cirros', i: 2, n: 3, key: 'labels' },
  );
  t.same(out, { object: 'vm/cirros-2', patch: { spec: { replicas: 3, labels: ['a-2'] } } });
});

t.test('an undefined variable is an error that names it', async (t) => {
  t.throws(() => renderTemplate('vm/{{nope}}', { vm: 'x' }), { message: 'undefined variable "{{nope}}" (defined: vm)' });
});

t.test('durations', async (t) => {
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('2m'), 120_000);
  t.equal(parseDuration('1h30m'), 5_400_000);
  t.equal(parseDuration('1.5s'), 1500);
  t.throws(() => parseDuration('2 minutes'), { message: /invalid duration "2 minutes"/ });
  t.equal(formatDuration(1234), '1.23s');
  t.equal(formatDuration(150_000), '2m30s');
});
