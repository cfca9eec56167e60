/**
 * The `kubevirt-emulator` command as a user runs it: a child process of
 * src/cli/main, its output collected, killed when the test ends. The child
 * runs what this file runs as: the JavaScript `npm test` compiled to .build/,
 * or the TypeScript sources through the loader in process.execArgv (tsx,
 * when a test file is run on its own with `npx tap`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL(`../../src/cli/main${extname(import.meta.url)}`, import.meta.url));
const READY = /^kubevirt-emulator ready: (https?:\/\/[^ ]+) kubeconfig=(.+)$/m;

interface Teardown {
  teardown(fn: () => void): void;
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  kubeconfig: string;
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Starts `kubevirt-emulator serve <args>` and resolves once it printed its ready line. `wrapper` runs it through
 * another command (e.g. `prlimit --fsize=N`), which must exec it; the child then runs without tap's loaders, whose
 * signal-exit handlers would turn the SIGXFSZ Node ignores (so a write past the limit fails with EFBIG) into a
 * silent death (tap also puts them in NODE_OPTIONS: the wrapper must drop that, e.g. with `env -u NODE_OPTIONS`).
 */
export async function startServe(t: Teardown, args: string[], wrapper: string[] = []): Promise<ServeProcess> {
  const [command, ...prefix] = [...wrapper, process.execPath];
  const execArgv = wrapper.length ? process.execArgv.filter((arg) => !arg.includes('@tapjs')) : process.execArgv;
  const child = spawn(command, [...prefix, ...execArgv, MAIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = READY.exec(stdout);
      if (match) resolve(match);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code} before it was ready\n${stderr}`)));
  });
  return { child, url: ready[1], kubeconfig: ready[2], stdout: () => stdout, stderr: () => stderr, exited };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one short-lived `kubevirt-emulator <args>` command to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [...process.execArgv, MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}
