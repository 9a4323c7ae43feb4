// IP addresses between their wire bytes (as recvmmsg fills them) and the text form dgram reports.
import { addressToBigInt, type Family } from './cidr.js';

/** Text of the address at bytes[offset..]: dotted quad, or RFC 5952 IPv6 (longest zero run as "::"). */
export function formatIp(bytes: Uint8Array, offset: number, family: Family): string {
  if (family === 4) {
    return `${bytes[offset] ?? 0}.${bytes[offset + 1] ?? 0}.${bytes[offset + 2] ?? 0}.${bytes[offset + 3] ?? 0}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 8; i++)
    groups.push(((bytes[offset + 2 * i] ?? 0) << 8) | (bytes[offset + 2 * i + 1] ?? 0));
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0) {
    // IPv4-mapped, as inet_ntop writes it
    if (groups[5] === 0xffff) return `::ffff:${formatIp(bytes, offset + 12, 4)}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
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
