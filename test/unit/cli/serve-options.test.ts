import t from 'tap';
import { Command } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { addServeOptions, parseServeOptions, type ServeOptionsError } from '../../../src/cli/serve-options.js';

t.test('defaults', async (t) => {
  t.same(parseServeOptions([]), {
    port: 6443,
    host: '127.0.0.1',
    workers: 2,
    logLevel: 'info',
    kubeVersion: 'v1.32.3',
    insecureHttp: false,
    clock: 'real',
    profile: 'instant',
    seed: 1,
    installKubeVirt: false,
    installCdi: false,
    eventTtlMs: 3_600_000,
    stateFile: join(homedir(), '.kubevirt-emulator', 'state.db'),
  });
});

t.test('the cluster state lives in the data dir unless --in-memory', async (t) => {
  t.equal(parseServeOptions(['--data-dir', '/srv/emu']).stateFile, '/srv/emu/state.db');
  t.equal(parseServeOptions(['--data-dir', '/srv/emu', '--in-memory']).stateFile, undefined);
  t.throws(() => parseServeOptions(['--in-memory', '--reset']), { message: /--reset' cannot be used with option '--in-memory'/ });
});

t.test('--etcd-servers keeps the cluster in etcd instead of the state file; --node-prefix needs it', async (t) => {
  const options = parseServeOptions(['--etcd-servers', 'http://127.0.0.1:2379, http://127.0.0.1:22379', '--node-prefix', 'rack1']);
  t.same(options.etcdServers, ['http://127.0.0.1:2379', 'http://127.0.0.1:22379']);
  t.equal(options.etcdPrefix, '/registry', "kube-apiserver's default prefix");
  t.equal(options.nodePrefix, 'rack1');
  t.equal(options.stateFile, undefined, 'no state file beside etcd');
  t.throws(() => parseServeOptions(['--etcd-servers', 'localhost:2379']), {
    message: /"localhost:2379" is not an http\(s\):\/\/host:port URL/,
  });
  t.throws(() => parseServeOptions(['--etcd-servers', 'http://e:2379', '--reset']), { message: /cannot be used with option/ });
  t.throws(() => parseServeOptions(['--node-prefix', 'rack1']), { message: /--node-prefix <prefix>' needs '--etcd-servers <urls>'/ });
  t.throws(() => parseServeOptions(['--etcd-servers', 'http://e:2379', '--node-prefix', 'Rack_1']), { message: /DNS-1123 label/ });
});

t.test('every option maps onto EmulatorOptions', async (t) => {
  const options = parseServeOptions([
    '--port',
    '0',
    '--host',
    '::1',
    '--kubeconfig',
    '/tmp/kc',
    '--workers',
    '5',
    '--log-level',
    'debug',
    '--kube-version',
    'v1.31.0',
    '--insecure-http',
    '--data-dir',
    '/tmp/data',
    '--clock',
    'virtual',
    '--profile',
    'realistic',
    '--seed',
    '42',
    '--install-kubevirt',
    '--install-cdi',
    '--event-ttl',
    '1h30m',
  ]);
  t.same(options, {
    port: 0,
    host: '::1',
    kubeconfigPath: '/tmp/kc',
    workers: 5,
    logLevel: 'debug',
    kubeVersion: 'v1.31.0',
    insecureHttp: true,
    dataDir: '/tmp/data',
    clock: 'virtual',
    profile: 'realistic',
    seed: 42,
    installKubeVirt: true,
    installCdi: true,
    eventTtlMs: 5_400_000,
    stateFile: '/tmp/data/state.db',
  });
  t.same(parseServeOptions(['--port=7000', '--workers=0']).port, 7000, '--flag=value form');
  t.equal(parseServeOptions(['--workers=0']).workers, 0, 'no workers: control plane only');
});

t.test('invalid values are rejected with commander-style messages', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--port', 'http'], /option '--port <n>' argument 'http' is invalid\. Not an integer\./],
    [['--port', '65536'], /argument '65536' is invalid\. Must be between 0 and 65535\./],
    [['--port', '-1'], /argument '-1' is invalid|unknown option '-1'/],
    [['--port', '1.5'], /Not an integer/],
    [['--workers', 'many'], /option '--workers <n>' argument 'many' is invalid/],
    [['--event-ttl', 'an hour'], /option '--event-ttl <duration>' argument 'an hour' is invalid\. invalid duration/],
    [['--log-level', 'verbose'], /argument 'verbose' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace, silent\./],
    [['--kube-version', '1.32.3'], /argument '1.32.3' is invalid\. Must look like v1\.32\.3\./],
    [['--host', ''], /option '--host <address>' argument '' is invalid\. Must not be empty\./],
    [['--port'], /option '--port <n>' argument missing/],
    [['--nodes', '3'], /unknown option '--nodes'/],
    [['extra'], /too many arguments/],
    [['--clock', 'fast'], /argument 'fast' is invalid\. Allowed choices are real, virtual\./],
    [['--profile', 'slow'], /argument 'slow' is invalid\. Allowed choices are instant, realistic\./],
    [['--seed', '-3'], /argument '-3' is invalid|unknown option '-3'/],
  ];
  for (const [args, message] of cases) {
    t.throws(() => parseServeOptions(args), { name: 'ServeOptionsError', message }, args.join(' '));
  }
  const error = t.throws(() => parseServeOptions(['--port', 'x'])) as ServeOptionsError;
  t.equal(error.exitCode, 1, 'commander usage errors exit with 1');
});

t.test('help lists every option with its default', async (t) => {
  // Commander wraps to the terminal width; compare with whitespace collapsed.
  const help = addServeOptions(new Command('serve')).helpInformation().replace(/\s+/g, ' ');
  for (const flag of [
    '--port <n>',
    '--host <address>',
    '--kubeconfig <path>',
    '--workers <n>',
    '--log-level <level>',
    '--kube-version <version>',
    '--insecure-http',
    '--data-dir <path>',
  ]) {
    t.match(help, flag);
  }
  t.match(help, /\(default: 6443\)/);
  t.match(help, /\(default: "v1\.32\.3"\)/);
});

t.test('the in-flight caps, as kube-apiserver names them', async (t) => {
  t.match(parseServeOptions(['--max-requests-inflight', '10', '--max-mutating-requests-inflight', '0']), {
    maxRequestsInflight: 10,
    maxMutatingRequestsInflight: 0,
  });
  t.throws(() => parseServeOptions(['--max-requests-inflight', 'many']), /Not an integer/);
});
