import t from 'tap';
import { memoizeByText } from '../../../../src/kubevirt/operator/memo.js';

t.test('answers a repeated argument from memory, forgetting the least recently used beyond the limit', async (t) => {
  const calls: string[] = [];
  const length = memoizeByText((text) => {
    calls.push(text);
    return text.length;
  }, 2);
  t.same([length('a'), length('bb'), length('a')], [1, 2, 1]);
  t.same(calls, ['a', 'bb'], 'the second "a" was remembered');
  length('ccc');
  length('a');
  t.same(calls, ['a', 'bb', 'ccc'], '"a" is still remembered: it was used after "bb"');
  length('bb');
  t.same(calls, ['a', 'bb', 'ccc', 'bb'], '"bb", the least recently used, was forgotten when "ccc" came');
});
