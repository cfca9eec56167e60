// `npm run bench`: runs every benchmark in its own process (so one's heap and
// timers never skew another's), then prints one table. Needs `npm run build`.
// Exits non-zero only when a benchmark fails to run; a missed target is a
// finding, shown in the table.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatNumber, meetsTarget, RESULT_PREFIX } from './lib/report.mjs';

const BENCHMARKS = [
  'startup.mjs',
  'get-throughput.mjs',
  'create-rate.mjs',
  'authz.mjs',
  'watch-fanout.mjs',
  'stuck-watchers.mjs',
  'store-scaling.mjs',
  'durable-store.mjs',
  'kubevirt-deploy.mjs',
  'install-cpu.mjs',
  'cluster-scale.mjs',
  'vmi-density.mjs',
  'vm-scale.mjs',
];
const PER_BENCHMARK_TIMEOUT_MS = 15 * 60_000;

function runBenchmark(file) {
  return new Promise((resolve) => {
    process.stderr.write(`${file}\n`);
    const child = spawn(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], {
      env: { ...process.env, BENCH_JSON: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: PER_BENCHMARK_TIMEOUT_MS,
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.once('close', (code, signal) => {
      const line = output.split('\n').find((text) => text.startsWith(RESULT_PREFIX));
      if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT_PREFIX.length)));
      else resolve({ benchmark: file, error: `exited with ${signal ?? code}` });
    });
  });
}

function printTable(results) {
  const rows = results.flatMap((result) =>
    result.error
      ? [[result.benchmark, 'FAILED', result.error, '', '']]
      : result.rows.map((row) => {
          const verdict = meetsTarget(row.value, row.target);
          return [
            result.benchmark,
            row.metric,
            `${formatNumber(row.value)}${row.unit ? ` ${row.unit}` : ''}`,
            row.target ? `${row.target.op} ${formatNumber(row.target.value)}` : '',
            verdict === undefined ? '' : verdict ? 'met' : 'MISSED',
          ];
        }),
  );
  const header = ['benchmark', 'metric', 'value', 'target', ''];
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  const format = (row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n`);
  for (const row of rows) process.stdout.write(`${format(row)}\n`);
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
const loadBefore = loadavg()[0];
const results = [];
for (const file of BENCHMARKS) results.push(await runBenchmark(file));
process.stdout.write(`\nmachine: ${machine}; 1-minute load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after\n\n`);
printTable(results);
process.exitCode = results.some((result) => result.error) ? 1 : 0;
