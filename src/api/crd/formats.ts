/**
 * The string formats the apiserver checks in CRD schemas (go-openapi strfmt),
 * as ajv format validators. Deliberately lenient where strfmt accepts several
 * layouts: rejecting what a real cluster accepts would be the worse error.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Format } from 'ajv';
import type { checkedFormats } from './ajv-schema.js';

const dnsLabel = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';

function isCidr(value: string): boolean {
  const [ip, bits, extra] = value.split('/');
  if (extra !== undefined || !bits || !/^\d+$/.test(bits)) return false;
  return (isIPv4(ip) && Number(bits) <= 32) || (isIPv6(ip) && Number(bits) <= 128);
}

function isUri(value: string): boolean {
  try {
    return Boolean(new URL(value));
  } catch {
    return value.startsWith('/'); // Go's ParseRequestURI also takes an absolute path
  }
}

export const stringFormats: Record<(typeof checkedFormats)[number], Format> = {
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i,
  date: /^\d{4}-\d{2}-\d{2}$/,
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  uuid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  ipv4: (value: string) => isIPv4(value),
  ipv6: (value: string) => isIPv6(value),
  cidr: isCidr,
  mac: /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$|^([0-9a-f]{2}[:-]){7}[0-9a-f]{2}$/i,
  email: /^[^@\s]+@[^@\s]+$/,
  hostname: new RegExp(`^(?=.{1,253}$)${dnsLabel}(\\.${dnsLabel})*$`, 'i'),
  uri: isUri,
  duration: /^\s*(-?\d+(\.\d+)?\s*[a-zµ]+\s*)+$/i,
};
