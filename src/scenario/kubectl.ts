/**
 * Runs the user's kubectl (`$KUBECTL`, else `kubectl` on `PATH`) with the
 * scenario's kubeconfig, never through a shell. The project's own tests set
 * `$KUBECTL` to the pinned copy that `npm test`'s pretest extracts.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve as resolvePath } from 'node:path';

const TIMEOUT_MS = 60_000;

export interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The kubectl a scenario step or a benchmark runs: `$KUBECTL` when set (relative to the working directory),
 * otherwise the first executable `kubectl` on `PATH`. Throws a message that says how to get one.
 */
export function resolveKubectl(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env.KUBECTL;
  if (chosen) {
    const path = isAbsolute(chosen) ? chosen : resolvePath(chosen);
    if (!isExecutableFile(path)) throw new Error(`$KUBECTL is ${chosen}, which is not an executable file`);
    return path;
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'kubectl');
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new Error('kubectl was not found on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/) or set $KUBECTL to its path');
}

export function runKubectl(args: string[], env: { kubeconfig: string; cacheDir: string }, input = ''): Promise<KubectlRun> {
  let kubectl: string;
  try {
    kubectl = resolveKubectl();
  } catch (error) {
    return Promise.reject(error);
  }
  const child = spawn(kubectl, args, {
    env: { ...process.env, KUBECONFIG: env.kubeconfig, KUBECACHEDIR: env.cacheDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === null)
        reject(new Error(`kubectl ${args.join(' ')} was killed by ${signal ?? 'a signal'} (it runs at most ${TIMEOUT_MS / 1000}s)`));
      else resolve({ code, stdout, stderr });
    });
  });
}
