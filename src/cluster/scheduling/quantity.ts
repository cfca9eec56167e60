/**
 * resource.Quantity as the scheduler compares it: cpu in millicores, every
 * other resource in whole units (bytes, pods, devices). Quantities arrive as
 * strings ("500m", "1Gi", "2e3") or plain numbers.
 */

const binarySuffixes: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimalSuffixes: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/;

/** The quantity's value in base units; NaN when it is not a quantity. */
export function quantityValue(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = QUANTITY.exec(quantity.trim());
  if (!match) return NaN;
  const [, digits, exponent, suffix = ''] = match;
  const number = Number(digits);
  if (exponent) return number * 10 ** Number(exponent.slice(1));
  return number * (binarySuffixes[suffix] ?? decimalSuffixes[suffix]);
}

/**
 * The amount the scheduler counts: millicores for cpu (MilliValue), whole
 * units rounded up for everything else (Value), as Kubernetes rounds.
 */
export function scheduledAmount(resource: string, quantity: string | number): number {
  const value = quantityValue(quantity);
  if (Number.isNaN(value)) return 0;
  return resource === 'cpu' ? Math.ceil(Math.round(value * 1e9) / 1e6) : Math.ceil(Math.round(value * 1e3) / 1e3);
}
