// IP addresses between their wire bytes (as recvmmsg fills them) and the text form dgram reports.
import { addressToBigInt, type Family } from './cidr.js';
import { ipv4Text, ipv6Text } from './ip-text.js';

/** Text of the address at bytes[offset..]: dotted quad, or RFC 5952 IPv6 (IPv4-mapped as inet_ntop writes it). */
export function formatIp(bytes: Uint8Array, offset: number, family: Family): string {
  if (family === 4) return ipv4Text(bytes, offset);
  let mapped = bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) mapped = bytes[offset + i] === 0;
  return mapped ? `::ffff:${ipv4Text(bytes, offset + 12)}` : ipv6Text(bytes, offset);
}

/** Writes the address's bytes at out[offset..] (4 or 16); false when it is not an address of that family. */
export function writeIp(address: string, family: Family, out: Uint8Array, offset: number): boolean {
  const parsed = addressToBigInt(address);
  if (parsed?.family !== family) return false;
  let value = parsed.value;
  const width = family === 4 ? 4 : 16;
  for (let i = width - 1; i >= 0; i--) {
    out[offset + i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return true;
}
