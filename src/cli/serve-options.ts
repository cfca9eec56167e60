/**
 * The `serve` command's options: declared once for commander, validated
 * while parsing, and turned into EmulatorOptions. Kept apart from main.ts so
 * tests can parse command lines without starting a server.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { EmulatorOptions } from '../emulator.js';
import { parseDuration } from '../runtime/duration.js';
import { profileNames } from '../simulation/profile.js';
import { defaultDataDir, stateFileIn } from '../storage/state-file.js';

/** Pino's levels, which the server's logger uses. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULT_KUBE_VERSION = 'v1.32.3';

/** What commander hands the action, after the argument parsers below ran. */
export interface ServeFlags {
  port: number;
  host: string;
  kubeconfig?: string;
  workers: number;
  logLevel: string;
  kubeVersion: string;
  insecureHttp?: boolean;
  dataDir?: string;
  inMemory?: boolean;
  reset?: boolean;
  etcdServers?: string[];
  etcdPrefix: string;
  nodePrefix?: string;
  clock: 'real' | 'virtual';
  profile: string;
  seed: number;
  installKubevirt?: boolean;
  installCdi?: boolean;
  eventTtl: number;
  maxRequestsInflight?: number;
  maxMutatingRequestsInflight?: number;
}

/** A command line the serve command rejects; the message is commander's, ready to print. */
export class ServeOptionsError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'ServeOptionsError';
  }
}

function parseInteger(value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('Not an integer.');
  const parsed = Number(value);
  if (parsed < min || parsed > max) throw new InvalidArgumentError(`Must be between ${min} and ${max}.`);
  return parsed;
}

function parsePort(value: string): number {
  return parseInteger(value, 0, 65535);
}

function parseWorkers(value: string): number {
  return parseInteger(value, 0, 1000);
}

function parseSeed(value: string): number {
  return parseInteger(value, 0, 2 ** 31 - 1);
}

function parseInflight(value: string): number {
  return parseInteger(value, 0, 1_000_000);
}

function parseHost(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('Must not be empty.');
  return value;
}

function parseKubeVersion(value: string): string {
  if (!/^v1\.\d+\.\d+$/.test(value)) throw new InvalidArgumentError('Must look like v1.32.3.');
  return value;
}

function parseEventTtl(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** kube-apiserver's --etcd-servers: a comma-separated list of http(s) URLs. */
function parseEtcdServers(value: string): string[] {
  const servers = value.split(',').map((server) => server.trim());
  for (const server of servers) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(server)) throw new InvalidArgumentError(`"${server}" is not an http(s)://host:port URL.`);
  }
  return servers;
}

/** A node name prefix: a DNS-1123 label short enough for "-worker" and an ordinal after it. */
function parseNodePrefix(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/.test(value))
    throw new InvalidArgumentError('Must be a DNS-1123 label of at most 42 characters.');
  return value;
}

function parseNonEmptyPath(value: string): string {
  if (value === '') throw new InvalidArgumentError('Must not be empty.');
  return value;
}

/** Declares the serve options on `command` (the CLI's serve subcommand, or a bare command in tests). */
export function addServeOptions(command: Command): Command {
  return command
    .addOption(new Option('--port <n>', 'port to listen on (0 picks a free port)').default(6443).argParser(parsePort))
    .addOption(new Option('--host <address>', 'address to listen on').default('127.0.0.1').argParser(parseHost))
    .addOption(
      new Option(
        '--kubeconfig <path>',
        'write a standalone kubeconfig here (default: merge a kubevirt-emulator context into $KUBECONFIG or ~/.kube/config)',
      ).argParser(parseNonEmptyPath),
    )
    .addOption(new Option('--workers <n>', 'simulated worker nodes').default(2).argParser(parseWorkers))
    .addOption(new Option('--log-level <level>', 'server log level').default('info').choices(LOG_LEVELS))
    .addOption(
      new Option('--kube-version <version>', 'Kubernetes version the server reports')
        .default(DEFAULT_KUBE_VERSION)
        .argParser(parseKubeVersion),
    )
    .addOption(new Option('--insecure-http', 'serve plain HTTP instead of HTTPS'))
    .addOption(
      new Option('--data-dir <path>', 'where the CA, keys and cluster state persist (default: ~/.kubevirt-emulator)').argParser(
        parseNonEmptyPath,
      ),
    )
    .addOption(new Option('--in-memory', 'keep the cluster in memory only: it is gone when the process ends'))
    .addOption(new Option('--reset', 'start from an empty cluster: delete the stored state first').conflicts('inMemory'))
    .addOption(
      new Option('--etcd-servers <urls>', 'keep the cluster in etcd (comma-separated URLs), shared by every emulator given the same')
        .argParser(parseEtcdServers)
        .conflicts(['inMemory', 'reset']),
    )
    .addOption(
      new Option(
        '--node-prefix <prefix>',
        'with --etcd-servers: the nodes this emulator adds and simulates (<prefix>-worker, ...)',
      ).argParser(parseNodePrefix),
    )
    .addOption(new Option('--etcd-prefix <prefix>', 'the prefix of every etcd key').default('/registry').argParser(parseNonEmptyPath))
    .addOption(
      new Option('--clock <mode>', 'simulation time: real, or virtual (moves only when advanced: see the clock command)')
        .default('real')
        .choices(['real', 'virtual']),
    )
    .addOption(new Option('--profile <name>', 'simulation timings').default('instant').choices(profileNames))
    .addOption(new Option('--seed <n>', 'seed of every random choice, so runs repeat').default(1).argParser(parseSeed))
    .addOption(
      new Option('--event-ttl <duration>', 'how long an Event is kept after its last write (kube-apiserver --event-ttl)')
        .default(3_600_000, '1h0m0s')
        .argParser(parseEventTtl),
    )
    .addOption(
      new Option(
        '--install-kubevirt',
        'apply the embedded kubevirt-operator.yaml and kubevirt-cr.yaml and be ready once KubeVirt is Available',
      ),
    )
    .addOption(new Option('--install-cdi', 'install a simulated CDI (DataVolumes, StorageProfiles), as kind users add it'))
    .addOption(
      new Option('--max-requests-inflight <n>', 'reads in flight before 429, as kube-apiserver (default 400; 0: no limit)').argParser(
        parseInflight,
      ),
    )
    .addOption(
      new Option('--max-mutating-requests-inflight <n>', 'writes in flight before 429 (default 200; 0: no limit)').argParser(parseInflight),
    );
}

export function toEmulatorOptions(flags: ServeFlags): EmulatorOptions {
  if (flags.nodePrefix !== undefined && !flags.etcdServers) {
    throw new ServeOptionsError("error: option '--node-prefix <prefix>' needs '--etcd-servers <urls>'", 1);
  }
  return {
    port: flags.port,
    host: flags.host,
    workers: flags.workers,
    logLevel: flags.logLevel,
    kubeVersion: flags.kubeVersion,
    insecureHttp: flags.insecureHttp === true,
    clock: flags.clock,
    profile: flags.profile,
    seed: flags.seed,
    installKubeVirt: flags.installKubevirt === true,
    installCdi: flags.installCdi === true,
    eventTtlMs: flags.eventTtl,
    ...(flags.kubeconfig !== undefined && { kubeconfigPath: flags.kubeconfig }),
    ...(flags.dataDir !== undefined && { dataDir: flags.dataDir }),
    ...(flags.etcdServers
      ? { etcdServers: flags.etcdServers, etcdPrefix: flags.etcdPrefix, ...(flags.nodePrefix && { nodePrefix: flags.nodePrefix }) }
      : !flags.inMemory && { stateFile: stateFileIn(flags.dataDir ?? defaultDataDir()) }),
    ...(flags.maxRequestsInflight !== undefined && { maxRequestsInflight: flags.maxRequestsInflight }),
    ...(flags.maxMutatingRequestsInflight !== undefined && { maxMutatingRequestsInflight: flags.maxMutatingRequestsInflight }),
  };
}

/**
 * Parses the arguments that follow `serve` into EmulatorOptions, throwing
 * ServeOptionsError for anything commander rejects (unknown option, bad
 * value, stray argument) instead of printing and exiting.
 */
export function parseServeOptions(args: readonly string[]): EmulatorOptions {
  let errorOutput = '';
  const command = addServeOptions(new Command('serve'))
    .exitOverride()
    .configureOutput({ writeErr: (text) => (errorOutput += text), writeOut: () => undefined });
  try {
    command.parse(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new ServeOptionsError(errorOutput.trim() || error.message, error.exitCode);
    throw error;
  }
  return toEmulatorOptions(command.opts<ServeFlags>());
}
