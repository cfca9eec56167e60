/**
 * Kubernetes' CEL IP and CIDR libraries (k8s.io/apiserver/pkg/cel/library/ip.go,
 * cidr.go): ip(), isIP(), ip.isCanonical(), cidr(), isCIDR() and their
 * methods, with Go netip's strictness (no leading zeros, no zones, no
 * IPv4-mapped IPv6 addresses). Addresses are bigints of 32 or 128 bits.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Environment } from '@marcbachmann/cel-js';
import { registerNamespace } from './namespace.js';

export class IpAddress {
  constructor(
    readonly bits: bigint,
    readonly family: 4 | 6,
  ) {}
  get width(): number {
    return this.family === 4 ? 32 : 128;
  }
  compareTo(other: IpAddress): number {
    return this.family === other.family && this.bits === other.bits ? 0 : 1;
  }
  inRange(prefix: bigint, length: number): boolean {
    const shift = BigInt(this.width - length);
    return this.bits >> shift === prefix >> shift;
  }
  toString(): string {
    if (this.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((this.bits >> s) & 255n)).join('.');
    const groups = Array.from({ length: 8 }, (_, i) => Number((this.bits >> BigInt(112 - 16 * i)) & 0xffffn));
    return compressIpv6(groups);
  }
}

/** RFC 5952: the longest run (of two or more) of zero groups becomes `::`. */
function compressIpv6(groups: number[]): string {
  let [bestStart, bestLength] = [-1, 1];
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function parseIpv6(text: string): bigint {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parts = (s: string): string[] => (s ? s.split(':') : []);
  const expand = (groups: string[]): bigint[] => groups.flatMap((g) => (g.includes('.') ? ipv4Groups(g) : [BigInt(`0x${g}`)]));
  const front = expand(parts(head));
  const back = tail === undefined ? [] : expand(parts(tail));
  const all = [...front, ...Array(8 - front.length - back.length).fill(0n), ...back];
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

function ipv4Groups(text: string): bigint[] {
  const v = parseIpv4(text);
  return [v >> 16n, v & 0xffffn];
}

const parseIpv4 = (text: string): bigint => text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(octet), 0n);

function parseIp(text: string): IpAddress {
  const fail = (why: string): never => {
    throw new Error(`IP Address ${JSON.stringify(text)} parse error during conversion from string: ${why}`);
  };
  if (text.includes('%')) fail('IP address with zone value is not allowed');
  if (isIPv4(text)) {
    if (text.split('.').some((o) => o.length > 1 && o.startsWith('0')))
      fail(`ParseAddr(${JSON.stringify(text)}): IPv4 field has octet with leading zero`);
    return new IpAddress(parseIpv4(text), 4);
  }
  if (!isIPv6(text)) return fail(`ParseAddr(${JSON.stringify(text)}): unable to parse IP`);
  const bits = parseIpv6(text);
  if (bits >> 32n === 0xffffn) fail('IPv4-mapped IPv6 address is not allowed');
  return new IpAddress(bits, 6);
}

export class Cidr {
  constructor(
    readonly ip: IpAddress,
    readonly length: number,
  ) {}
  compareTo(other: Cidr): number {
    return this.ip.compareTo(other.ip) === 0 && this.length === other.length ? 0 : 1;
  }
  masked(): Cidr {
    const shift = BigInt(this.ip.width - this.length);
    return new Cidr(new IpAddress((this.ip.bits >> shift) << shift, this.ip.family), this.length);
  }
  contains(ip: IpAddress): boolean {
    return ip.family === this.ip.family && ip.inRange(this.ip.bits, this.length);
  }
  toString(): string {
    return `${this.ip}/${this.length}`;
  }
}

function parseCidr(text: string): Cidr {
  const [address, length, extra] = text.split('/');
  const width = isIPv4(address) ? 32 : 128;
  if (extra !== undefined || length === undefined || !/^\d+$/.test(length) || Number(length) > width)
    throw new Error(
      `network address parse error during conversion from string: netip.ParsePrefix(${JSON.stringify(text)}): bad bits after slash`,
    );
  return new Cidr(parseIp(address), Number(length));
}

const succeeds = (parse: (text: string) => unknown) => (text: string) => {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
};

const rangeOf = (a: number, b: number) => (ip: IpAddress) => (ip.family === 4 ? ip.inRange(BigInt(a), 32 - b) : false);

const isLoopback = (ip: IpAddress): boolean => (ip.family === 4 ? rangeOf(0x7f000000, 24)(ip) : ip.bits === 1n);
const isLinkLocalUnicast = (ip: IpAddress): boolean => (ip.family === 4 ? rangeOf(0xa9fe0000, 16)(ip) : ip.bits >> 118n === 0x3fan);
const isLinkLocalMulticast = (ip: IpAddress): boolean => (ip.family === 4 ? rangeOf(0xe0000000, 8)(ip) : ip.bits >> 112n === 0xff02n);
const isMulticast = (ip: IpAddress): boolean => (ip.family === 4 ? ip.bits >> 28n === 0xen : ip.bits >> 120n === 0xffn);
const isGlobalUnicast = (ip: IpAddress): boolean =>
  ip.bits !== 0n && !(ip.family === 4 && ip.bits === 0xffffffffn) && !isLoopback(ip) && !isMulticast(ip) && !isLinkLocalUnicast(ip);

export function registerNetLibrary(env: Environment): void {
  env
    .registerType('net.IP', IpAddress)
    .registerType('net.CIDR', Cidr)
    .registerFunction('ip(string): net.IP', parseIp)
    .registerFunction('isIP(string): bool', succeeds(parseIp))
    .registerFunction('string(net.IP): string', (ip: IpAddress) => ip.toString())
    .registerFunction('net.IP.family(): int', (ip: IpAddress) => BigInt(ip.family))
    .registerFunction('net.IP.isUnspecified(): bool', (ip: IpAddress) => ip.bits === 0n)
    .registerFunction('net.IP.isLoopback(): bool', isLoopback)
    .registerFunction('net.IP.isLinkLocalMulticast(): bool', isLinkLocalMulticast)
    .registerFunction('net.IP.isLinkLocalUnicast(): bool', isLinkLocalUnicast)
    .registerFunction('net.IP.isGlobalUnicast(): bool', isGlobalUnicast)
    .registerFunction('cidr(string): net.CIDR', parseCidr)
    .registerFunction('isCIDR(string): bool', succeeds(parseCidr))
    .registerFunction('string(net.CIDR): string', (c: Cidr) => c.toString())
    .registerFunction('net.CIDR.containsIP(net.IP): bool', (c: Cidr, ip: IpAddress) => c.contains(ip))
    .registerFunction('net.CIDR.containsIP(string): bool', (c: Cidr, ip: string) => c.contains(parseIp(ip)))
    .registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', (c: Cidr, o: Cidr) => o.length >= c.length && c.contains(o.ip))
    .registerFunction('net.CIDR.containsCIDR(string): bool', (c: Cidr, text: string) => {
      const o = parseCidr(text);
      return o.length >= c.length && c.contains(o.ip);
    })
    .registerFunction('net.CIDR.ip(): net.IP', (c: Cidr) => c.ip)
    .registerFunction('net.CIDR.masked(): net.CIDR', (c: Cidr) => c.masked())
    .registerFunction('net.CIDR.prefixLength(): int', (c: Cidr) => BigInt(c.length))
    .registerOperator('net.IP == net.IP', (a: IpAddress, b: IpAddress) => a.compareTo(b) === 0)
    .registerOperator('net.CIDR == net.CIDR', (a: Cidr, b: Cidr) => a.compareTo(b) === 0);
  const ipNamespace = registerNamespace(env, 'ip');
  env.registerFunction(`${ipNamespace}.isCanonical(string): bool`, (_: unknown, text: string) => parseIp(text).toString() === text);
}
