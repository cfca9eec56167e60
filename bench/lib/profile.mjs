// Profiles of a benchmark's measured phase only (not of the setup before it),
// for finding where the time and memory go:
//   BENCH_CPU_PROFILE=out.cpuprofile      CPU profile (open in Chrome DevTools)
//   BENCH_HEAP_SNAPSHOT=out.heapsnapshot  heap snapshot at the end of the phase
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import v8 from 'node:v8';

/** Starts what the environment asks for; the returned function stops it and writes the files. */
export async function profileMeasuredPhase() {
  const cpuProfile = process.env.BENCH_CPU_PROFILE;
  const heapSnapshot = process.env.BENCH_HEAP_SNAPSHOT;
  const session = cpuProfile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  return async () => {
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(cpuProfile, JSON.stringify(profile));
      session.disconnect();
    }
    if (heapSnapshot) v8.writeHeapSnapshot(heapSnapshot);
  };
}
