/**
 * resource.Quantity as controllers and the scheduler read it: "100m",
 * "1.5Gi", "2e3" or a plain number, as a number of base units (cpu in
 * millicores where a scale of 3 is asked for), and back to canonical text.
 */

const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|n|u|m|k|M|G|T|P|E)?$/;

/**
 * A Kubernetes quantity ("100m", "1.5Gi", "2e3", "512") as a number of base
 * units, times 10^scale: parseQuantity("100m", 3) is 100 (millis). The decimal
 * exponent is applied on the digits' text, so "100m" at scale 3 is exactly
 * 100 and not 100.00000000000001.
 */
export function parseQuantity(quantity: string | number, scale = 0): number {
  if (typeof quantity === 'number') return quantity * 10 ** scale;
  const match = QUANTITY.exec(quantity.trim());
  if (!match) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  const [, digits, suffix = ''] = match;
  if (suffix in binarySuffixes) return Number(`${digits}e${scale}`) * 2 ** binarySuffixes[suffix];
  const exponent = suffix in decimalSuffixes ? decimalSuffixes[suffix] : Number(suffix.slice(1));
  return Number(`${digits}e${exponent + scale}`);
}

/** Whether a resource is counted in bytes (and so printed with binary suffixes). */
const isByteResource = (resource: string): boolean =>
  resource === 'memory' || resource === 'ephemeral-storage' || resource.startsWith('hugepages-') || resource === 'storage';

/** The requests convention of this module: cpu in millicores, everything else in base units. */
const scaleOf = (resource: string): number => (resource === 'cpu' ? 3 : 0);

/** A resource amount as parsed by podRequests (cpu in millicores) back to its canonical quantity text. */
export function formatQuantity(resource: string, value: number): string {
  if (resource === 'cpu') return value % 1000 === 0 ? String(value / 1000) : `${value}m`;
  if (value === 0) return '0';
  if (isByteResource(resource)) {
    for (const [suffix, power] of Object.entries(binarySuffixes).reverse()) {
      if (value % 2 ** power === 0) return `${value / 2 ** power}${suffix}`;
    }
  }
  for (const [suffix, exponent] of [
    ['E', 18],
    ['P', 15],
    ['T', 12],
    ['G', 9],
    ['M', 6],
    ['k', 3],
  ] as const) {
    if (value % 10 ** exponent === 0) return `${value / 10 ** exponent}${suffix}`;
  }
  return String(value);
}

/** Parses a resource list into podRequests' units (cpu in millicores, rounded up as Kubernetes' MilliValue does). */
export function parseResourceList(list: Record<string, string> | undefined): Record<string, number> {
  const parsed: Record<string, number> = {};
  for (const [resource, quantity] of Object.entries(list ?? {})) parsed[resource] = Math.ceil(parseQuantity(quantity, scaleOf(resource)));
  return parsed;
}
