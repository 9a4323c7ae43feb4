// Text form of IPv4 and IPv6 addresses read from packet bytes (RFC 5952 for IPv6, as tshark prints).

export function formatIpv4(buf: Buffer, at: number): string {
  return `${buf[at] ?? 0}.${buf[at + 1] ?? 0}.${buf[at + 2] ?? 0}.${buf[at + 3] ?? 0}`;
}

/** RFC 5952: lower-case hex, the longest run (>= 2) of zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d. */
export function formatIpv6(buf: Buffer, at: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(buf.readUInt16BE(at + i * 2));
  if (words[5] === 0xffff && words.slice(0, 5).every((w) => w === 0)) {
    return `::ffff:${formatIpv4(buf, at + 12)}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}
