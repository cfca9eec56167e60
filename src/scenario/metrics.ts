/** Reading counters from a Prometheus text exposition (the API server's /metrics). */

/** `name{a="x",b="y"} 12` → labels and value; undefined for comments and other metrics. */
function parseSample(line: string, name: string): { labels: Record<string, string>; value: number } | undefined {
  if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) return undefined;
  const labels: Record<string, string> = {};
  let rest = line.slice(name.length);
  if (rest.startsWith('{')) {
    const close = rest.lastIndexOf('}');
    for (const [, key, raw] of rest.slice(1, close).matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = raw.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    rest = rest.slice(close + 1);
  }
  return { labels, value: Number(rest.trim().split(/\s+/)[0]) };
}

/** The sum of the metric's samples whose labels include every one of `labels`. */
export function metricSum(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const sample = parseSample(line, name);
    if (sample && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) sum += sample.value;
  }
  return sum;
}
