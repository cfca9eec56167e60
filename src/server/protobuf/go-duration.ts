/** Go's time.Duration.String(): "0s", "1.5s", "1h0m0s", "250ms", "2µs", "-3m4s". */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return '0s';
  const sign = nanoseconds < 0n ? '-' : '';
  const magnitude = nanoseconds < 0n ? -nanoseconds : nanoseconds;
  if (magnitude < 1_000n) return `${sign}${magnitude}ns`;
  if (magnitude < 1_000_000n) return `${sign}${withFraction(magnitude, 3)}µs`;
  if (magnitude < 1_000_000_000n) return `${sign}${withFraction(magnitude, 6)}ms`;
  const seconds = magnitude / 1_000_000_000n;
  const secondsPart = `${withFraction(magnitude, 9).replace(/^\d+/, String(seconds % 60n))}s`;
  const minutes = seconds / 60n;
  if (minutes === 0n) return `${sign}${secondsPart}`;
  const hours = minutes / 60n;
  if (hours === 0n) return `${sign}${minutes}m${secondsPart}`;
  return `${sign}${hours}h${minutes % 60n}m${secondsPart}`;
}

/** value / 10^digits with the fraction's trailing zeros dropped, as Go prints it. */
function withFraction(value: bigint, digits: number): string {
  const unit = 10n ** BigInt(digits);
  const fraction = (value % unit).toString().padStart(digits, '0').replace(/0+$/, '');
  return fraction ? `${value / unit}.${fraction}` : `${value / unit}`;
}
