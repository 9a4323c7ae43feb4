// IP addresses and CIDR prefixes as integers: IPv4 in a number, IPv6 in a bigint.
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export interface Prefix {
  readonly family: Family;
  readonly bits: number;
  /** Network address with host bits cleared. */
  readonly network: bigint;
}

/**
 * Parses "10.0.0.0/8", "fd00::/8" or a bare address (a /32 or /128). The prefix length is decimal digits only:
 * `Number()` would read "10.40.0.0/" as /0 (the whole Internet), "/0x10" as 16 and "/ 16" as 16.
 */
export function parsePrefix(text: string): Prefix | null {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const parsed = addressToBigInt(address);
  if (!parsed) return null;
  const max = parsed.family === 4 ? 32 : 128;
  const length = text.slice(slash + 1);
  if (slash >= 0 && !/^\d{1,3}$/.test(length)) return null;
  const bits = slash < 0 ? max : Number(length);
  if (bits > max) return null;
  return { family: parsed.family, bits, network: parsed.value & mask(parsed.family, bits) };
}

/** Why a valid prefix is probably not what was meant (a /0 rule, host bits set), or null. */
export function prefixWarning(text: string): string | null {
  const prefix = parsePrefix(text);
  if (!prefix) return null;
  if (prefix.bits === 0) return `"${text}" matches every ${prefix.family === 4 ? 'IPv4' : 'IPv6'} address`;
  const address = addressToBigInt(text.slice(0, text.indexOf('/') < 0 ? text.length : text.indexOf('/')));
  if (address && address.value !== prefix.network)
    return `"${text}" has host bits set: it is read as the whole /${prefix.bits} network`;
  return null;
}

export function mask(family: Family, bits: number): bigint {
  const width = family === 4 ? 32n : 128n;
  const all = (1n << width) - 1n;
  return bits === 0 ? 0n : (all >> (width - BigInt(bits))) << (width - BigInt(bits));
}

/** IPv4-mapped IPv6 ("::ffff:10.1.2.3", as dual-stack sockets report) counts as IPv4. */
export function addressToBigInt(address: string): { family: Family; value: bigint } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const v4 = mapped ? (mapped[1] ?? '') : address;
  if (isIPv4(v4)) {
    let value = 0n;
    for (const octet of v4.split('.')) value = (value << 8n) | BigInt(Number(octet));
    return { family: 4, value };
  }
  if (!isIPv6(address)) return null;
  return { family: 6, value: ipv6ToBigInt(address) };
}

function ipv6ToBigInt(address: string): bigint {
  let text = address.split('%')[0] ?? '';
  // an embedded IPv4 tail ("::ffff:1.2.3.4", "64:ff9b::1.2.3.4") becomes two hex groups
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...tailGroups];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(parseInt(group, 16));
  return value;
}
