// Every benchmark reports rows of { metric, value, unit, target? }. Run
// alone, a script prints them; run by run.mjs (BENCH_JSON=1), it prints one
// JSON line run.mjs collects into the summary table.
export const RESULT_PREFIX = 'BENCH_RESULT ';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function formatNumber(value) {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(Math.abs(value) >= 10 ? 1 : 3);
}

/** `target` is { op: '>=' | '<=', value } or undefined; true, false, or undefined when there is none. */
export function meetsTarget(value, target) {
  if (!target) return undefined;
  return target.op === '>=' ? value >= target.value : value <= target.value;
}

export function formatRow({ metric, value, unit, target }) {
  const verdict = meetsTarget(value, target);
  const withUnit = (number) => (unit ? `${formatNumber(number)} ${unit}` : formatNumber(number));
  const goal = target ? `  (target ${target.op} ${withUnit(target.value)}: ${verdict ? 'met' : 'MISSED'})` : '';
  return `${metric}: ${withUnit(value)}${goal}`;
}

export function report(benchmark, rows) {
  if (process.env.BENCH_JSON === '1') {
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify({ benchmark, rows })}\n`);
    return;
  }
  process.stdout.write(`${benchmark}\n`);
  for (const row of rows) process.stdout.write(`  ${formatRow(row)}\n`);
}

/** Progress notes go to stderr so they never mix with results. */
export function note(text) {
  process.stderr.write(`  ${text}\n`);
}
