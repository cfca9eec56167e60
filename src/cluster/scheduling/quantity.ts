/**
 * resource.Quantity as the scheduler compares it: cpu in millicores, every
 * other resource in whole units (bytes, pods, devices). Quantities arrive as
 * strings ("500m", "1Gi", "2e3") or plain numbers; the parsing is the shared
 * one of src/kube/quantity.ts.
 */
import { parseQuantity } from '../../kube/quantity.js';

/** The quantity's value in base units; NaN when it is not a quantity. */
export function quantityValue(quantity: string | number): number {
  try {
    return parseQuantity(quantity);
  } catch {
    return NaN;
  }
}

/**
 * The amount the scheduler counts: millicores for cpu (MilliValue), whole
 * units rounded up for everything else (Value), as Kubernetes rounds; 0 for
 * what is not a quantity.
 */
export function scheduledAmount(resource: string, quantity: string | number): number {
  try {
    return Math.ceil(parseQuantity(quantity, resource === 'cpu' ? 3 : 0));
  } catch {
    return 0;
  }
}
