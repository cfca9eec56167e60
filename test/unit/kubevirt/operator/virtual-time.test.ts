/**
 * virt-operator issues its certificates with webcrypto, which runs on libuv's
 * threadpool. On a loaded machine that takes longer than any number of event
 * loop turns; virtual time must wait for it instead of racing ahead, or an
 * install "times out" after a few wall-clock milliseconds of a busy pool.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, open, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startEmulator } from '../../../../src/emulator.js';
import { installKubeVirt } from '../../../../src/kubevirt/install.js';
import { RealClock } from '../../../../src/runtime/clock.js';

/** libuv's default threadpool size unless the environment sets another. */
const THREADPOOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE) || 4;
const BUSY_WALL_MS = 1500;

/**
 * Occupies every threadpool thread: opening a FIFO for reading blocks until a
 * writer opens it. The returned function opens the writers (synchronously, on
 * the main thread, so it needs no pool thread) and frees the pool.
 */
function occupyThreadpool(dir: string): () => void {
  const fifos = Array.from({ length: THREADPOOL_SIZE }, (_, i) => join(dir, `fifo-${i}`));
  const readers: number[] = [];
  for (const fifo of fifos) {
    execFileSync('mkfifo', [fifo]);
    open(fifo, constants.O_RDONLY, (err, fd) => {
      if (!err) readers.push(fd);
    });
  }
  return () => {
    for (const fifo of fifos) closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    const closeReaders = (): void => {
      if (readers.length < fifos.length) return void setImmediate(closeReaders);
      for (const fd of readers) closeSync(fd);
    };
    closeReaders();
  };
}

t.test('an install on the virtual clock waits for certificates made on a busy threadpool', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'virt-operator-time-'));
  const emulator = await startEmulator({ port: 0, insecureHttp: true, kubeconfigPath: join(dir, 'kubeconfig'), clock: 'virtual' });
  t.teardown(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const release = occupyThreadpool(dir);
  const freed = new RealClock().sleep(BUSY_WALL_MS).then(release);
  const started = emulator.clock.nowMs();
  // Instant timings make an install take about a second of virtual time; a minute is ample unless time races ahead.
  const timings = await installKubeVirt(emulator, { timeoutMs: 60_000 });
  await freed;
  t.ok(emulator.clock.nowMs() - started < 60_000, `Available after ${timings.waitAvailableMs} ms of virtual time`);
});
