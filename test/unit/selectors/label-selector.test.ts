import t from 'tap';
import { StatusError } from '../../../src/api/errors.js';
import {
  formatLabels,
  formatLabelSelector,
  labelSelectorMatcher,
  labelSelectorToString,
  matchLabelSelector,
  parseLabelSelector,
} from '../../../src/api/selectors/label-selector.js';

const badRequestMessage = (selector: string): string => {
  try {
    parseLabelSelector(selector);
  } catch (err) {
    if (err instanceof StatusError && err.code === 400 && err.reason === 'BadRequest') return err.message;
    throw err;
  }
  throw new Error(`"${selector}" parsed`);
};

t.test('string form: operators', async (t) => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  const cases: [string, boolean][] = [
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db,web)', true],
    ['app notin (db,web)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app=web,tier=back', false],
    ['app = web , tier in (front)', true],
    ['n>4', true],
    ['n<5', false],
    ['', true],
  ];
  for (const [selector, expected] of cases) t.equal(labelSelectorMatcher(selector)(labels), expected, selector);
  t.equal(labelSelectorMatcher('app')(undefined), false, 'no labels: exists fails');
  t.equal(labelSelectorMatcher('!app')(undefined), true, 'no labels: does-not-exist holds');
});

t.test('string form: in/notin treat keywords as values and allow empty values', async (t) => {
  t.same(parseLabelSelector('x in (in,notin)'), [{ key: 'x', operator: 'in', values: ['in', 'notin'] }]);
  t.same(parseLabelSelector('x in ()'), [{ key: 'x', operator: 'in', values: [''] }]);
  t.same(parseLabelSelector('x in (a,,b)'), [{ key: 'x', operator: 'in', values: ['', 'a', 'b'] }]);
  t.same(parseLabelSelector('x='), [{ key: 'x', operator: '=', values: [''] }]);
  t.equal(labelSelectorMatcher('x=')({ x: '' }), true);
});

t.test('string form: errors carry the apiserver wording', async (t) => {
  t.equal(badRequestMessage('app=web,'), "found '', expected: identifier after ','");
  t.equal(badRequestMessage('app=a=b'), "found '=', expected: ',' or 'end of string'");
  t.equal(badRequestMessage('app in a'), "unable to parse requirement: found 'a' expected: '('");
  t.equal(badRequestMessage('app in (a'), "unable to parse requirement: found '', expected: ',' or ')'");
  t.equal(badRequestMessage('app ~ x'), "unable to parse requirement: found '~', expected: in, notin, =, ==, !=, gt, lt");
  t.equal(badRequestMessage('=x'), "found '=', expected: !, identifier, or 'end of string'");
  t.equal(
    badRequestMessage('-bad=x'),
    `unable to parse requirement: <nil>: Invalid value: "-bad": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
  );
  t.equal(
    badRequestMessage('app=-x'),
    `unable to parse requirement: values[0][app]: Invalid value: "-x": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
  );
  t.match(badRequestMessage('Example.com/a=b'), /prefix part a lowercase RFC 1123 subdomain/);
});

t.test('object form', async (t) => {
  const selector = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['b', 'a'] },
      { key: 'canary', operator: 'DoesNotExist' },
    ],
  };
  t.equal(matchLabelSelector(selector, { app: 'web', tier: 'a' }), true);
  t.equal(matchLabelSelector(selector, { app: 'web', tier: 'a', canary: '' }), false);
  t.equal(matchLabelSelector(selector, { app: 'web', tier: 'c' }), false);
  t.equal(matchLabelSelector({}, { any: 'thing' }), true, 'empty selector selects everything');
  t.equal(matchLabelSelector(undefined, { any: 'thing' }), false, 'missing selector selects nothing');
  t.equal(
    matchLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }, { a: 'x' }),
    false,
    'invalid operator selects nothing',
  );
  t.equal(matchLabelSelector({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }, undefined), true);
  t.equal(matchLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, { a: '' }), true);
});

t.test('object form to string', async (t) => {
  const selector = {
    matchLabels: { z: '1', app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'NotIn', values: ['b', 'a'] },
      { key: 'm', operator: 'Exists' },
    ],
  };
  t.equal(labelSelectorToString(selector), 'app=web,m,tier notin (a,b),z=1');
  t.equal(labelSelectorToString({ matchExpressions: [{ key: 'gone', operator: 'DoesNotExist' }] }), '!gone');
  t.equal(labelSelectorToString({}), '');
  t.equal(formatLabelSelector({}), '<none>');
  t.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Nope' }] }), '<error>');
  t.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
  t.equal(formatLabels({}), '<none>');
});
