// Kubernetes' CEL libraries against the examples of kube's library documentation (k8s.io/apiserver/pkg/cel/library).
import t from 'tap';
import { kubeEnvironment } from '../../../src/api/cel/environment.js';

const env = kubeEnvironment();
const holds = (expressions: string[]) => async (t: Tap.Test) => {
  for (const expression of expressions) t.equal(env.evaluate(expression), true, expression);
};
const fails = (expression: string, message: RegExp) => async (t: Tap.Test) => {
  t.throws(() => env.evaluate(expression), { message }, expression);
};

t.test(
  'lists',
  holds([
    '[1, 2, 3].isSorted()',
    '![3, 2, 1].isSorted()',
    "['a', 'b', 'c'].isSorted()",
    '[1, 2, 3].sum() == 6',
    '[1.0, 2.5].sum() == 3.5',
    '[1, 2, 3].max() == 3',
    '[1, 2, 3].min() == 1',
    '[1, 2, 3].indexOf(2) == 1',
    '[1, 2, 2, 3].lastIndexOf(2) == 2',
    '[1, 2, 3].indexOf(4) == -1',
  ]),
);
t.test('min of an empty list is an error', fails('[].min()', /min\(list\) called on empty list/));

t.test(
  'regex',
  holds([
    "'abc 123'.find('[0-9]+') == '123'",
    "'abc'.find('[0-9]+') == ''",
    "'123 abc 456'.findAll('[0-9]+') == ['123', '456']",
    "'123 abc 456'.findAll('[0-9]+', 1) == ['123']",
    "'abc-123'.matches('^[a-z]+-[0-9]+$')",
  ]),
);

t.test(
  'strings (cel-go ext strings)',
  holds([
    "'hello'.charAt(1) == 'e'",
    "'hello hello'.replace('he', 'we') == 'wello wello'",
    "'hello hello'.replace('he', 'we', 1) == 'wello hello'",
    "'TacoCat'.lowerAscii() == 'tacocat'",
    "'TacoCat'.upperAscii() == 'TACOCAT'",
    "'  trim  '.trim() == 'trim'",
    "'a,b,c'.split(',') == ['a', 'b', 'c']",
    "['a', 'b'].join('-') == 'a-b'",
    'strings.quote(\'say "hi"\') == \'"say \\\\"hi\\\\""\'',
    "'%s has %d items'.format([dyn('list'), dyn(3)]) == 'list has 3 items'",
  ]),
);

t.test(
  'URLs',
  holds([
    "url('https://example.com:80/').getHost() == 'example.com:80'",
    "url('https://[::1]:80/').getHostname() == '::1'",
    "url('https://example.com:80/').getPort() == '80'",
    "url('https://example.com/path').getScheme() == 'https'",
    "url('https://example.com/path with spaces/').getEscapedPath() == '/path%20with%20spaces/'",
    "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}",
    "url('/absolute-path').getScheme() == ''",
    "isURL('https://example.com')",
    "!isURL('example.com')",
  ]),
);

t.test(
  'quantity',
  holds([
    "quantity('50000000G').isGreaterThan(quantity('50M'))",
    "quantity('50M').isLessThan(quantity('50G'))",
    "quantity('50k').add(quantity('20k')) == quantity('70k')",
    "quantity('50k').sub(20000) == quantity('30k')",
    "quantity('50k').asInteger() == 50000",
    "!quantity('1.2345').isInteger()",
    "quantity('50k').sign() == 1",
    "quantity('-50k').sign() == -1",
    "quantity('1Gi').compareTo(quantity('1G')) == 1",
    "isQuantity('20')",
    "!isQuantity('20W')",
    "quantity('500m').asApproximateFloat() == 0.5",
  ]),
);

t.test(
  'IP and CIDR',
  holds([
    "ip('10.0.0.1').family() == 4",
    "ip('::1').family() == 6",
    "ip('127.0.0.1').isLoopback()",
    "ip('::1').isLoopback()",
    "ip('0.0.0.0').isUnspecified()",
    "ip('fe80::1').isLinkLocalUnicast()",
    "ip('169.254.169.254').isLinkLocalUnicast()",
    "ip('224.0.0.1').isLinkLocalMulticast()",
    "ip('ff02::1').isLinkLocalMulticast()",
    "ip('192.168.0.1').isGlobalUnicast()",
    "!ip('255.255.255.255').isGlobalUnicast()",
    "ip.isCanonical('2001:db8::abcd')",
    "!ip.isCanonical('2001:DB8::ABCD')",
    "!ip.isCanonical('2001:db8:0:0:0:0:0:abcd')",
    "string(ip('2001:db8:0:0:0:0:0:abcd')) == '2001:db8::abcd'",
    "isIP('192.168.0.1')",
    "!isIP('192.168.0.01')",
    "!isIP('::ffff:1.2.3.4')",
    "!isIP('fe80::1%eth0')",
    "cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))",
    "cidr('192.168.0.0/24').containsIP('192.168.0.1')",
    "!cidr('192.168.0.0/24').containsIP('192.168.1.1')",
    "cidr('192.168.0.0/24').containsCIDR('192.168.0.0/25')",
    "!cidr('192.168.0.0/24').containsCIDR('192.168.0.0/23')",
    "cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')",
    "cidr('192.168.0.0/24').prefixLength() == 24",
    "cidr('192.168.0.0/24').ip() == ip('192.168.0.0')",
    "string(cidr('2001:db8::/32')) == '2001:db8::/32'",
    "isCIDR('10.0.0.0/8')",
    "!isCIDR('10.0.0.0/33')",
  ]),
);

t.test(
  'semver',
  holds([
    "semver('1.0.0').isLessThan(semver('1.1.0'))",
    "semver('1.2.3').major() == 1 && semver('1.2.3').minor() == 2 && semver('1.2.3').patch() == 3",
    "semver('1.0.0-alpha').isLessThan(semver('1.0.0'))",
    "semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta'))",
    "semver('2.0.0').compareTo(semver('1.9.9')) == 1",
    "semver('1.0.0+build') == semver('1.0.0')",
    "isSemver('1.0.0')",
    "!isSemver('v1.0.0')",
    "!isSemver('1.0')",
  ]),
);

t.test(
  'format',
  holds([
    "!format.dns1123Label().validate('my-label-name').hasValue()",
    "format.dns1123Label().validate('My_Label').hasValue()",
    "!format.dns1123Subdomain().validate('apiextensions.k8s.io').hasValue()",
    "!format.qualifiedName().validate('apiextensions.k8s.io/v1beta1').hasValue()",
    "!format.dns1123LabelPrefix().validate('my-label-prefix-').hasValue()",
    "!format.uri().validate('http://example.com').hasValue()",
    "!format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()",
    "format.uuid().validate('nope').value() == ['does not match the UUID format']",
    "!format.byte().validate('aGVsbG8=').hasValue()",
    "!format.date().validate('2021-01-01').hasValue()",
    "!format.datetime().validate('2021-01-01T00:00:00Z').hasValue()",
    "format.named('dns1123Label').hasValue()",
    "!format.named('invalid').hasValue()",
  ]),
);

t.test(
  'optional types',
  holds(["{'a': 1}.?b.orValue(2) == 2", "{'a': 1}.?a.orValue(2) == 1", 'optional.of(1).hasValue()', '!optional.none().hasValue()']),
);
