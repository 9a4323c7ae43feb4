// Addresses a public name must never resolve to: private, loopback, link-local, ULA, multicast, reserved,
// and the IPv6 forms that embed one of those IPv4 addresses (NAT64, 6to4, IPv4-compatible, IPv4-mapped).

/**
 * IPv4 (RFC 6890 special-purpose ranges a client could be steered to): 0/8, 10/8, 100.64/10 (CGN),
 * 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15 (benchmarking), 224/4 (multicast),
 * 240/4 (reserved, with 255.255.255.255). The documentation ranges (192.0.2/24, 198.51.100/24,
 * 203.0.113/24) are not listed: nothing listens there, and examples and tests answer with them.
 */
export function isInternalV4(bytes: Uint8Array, at = 0): boolean {
  const a = bytes[at] ?? 0;
  const b = bytes[at + 1] ?? 0;
  const c = bytes[at + 2] ?? 0;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 0 && c === 0) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19))
  );
}

/**
 * IPv6: ::/96 (unspecified, loopback and the deprecated IPv4-compatible form), ::ffff:0:0/96 (mapped),
 * fc00::/7 (ULA), fe80::/10 (link-local), fec0::/10 (site-local), ff00::/8 (multicast), and the
 * translation prefixes whose embedded IPv4 address is internal: 64:ff9b::/96 and 64:ff9b:1::/48
 * (NAT64, RFC 6052/8215, address in the last 32 bits) and 2002::/16 (6to4, address in bits 16-47).
 */
export function isInternalV6(bytes: Uint8Array, at = 0): boolean {
  const byte = (i: number): number => bytes[at + i] ?? 0;
  const first = byte(0);
  if ((first & 0xfe) === 0xfc || first === 0xff) return true;
  if (first === 0xfe && (byte(1) & 0xc0) >= 0x80) return true; // fe80::/10 and fec0::/10
  if (first === 0x20 && byte(1) === 0x02) return isInternalV4(bytes, at + 2);
  if (zeros(bytes, at, 10)) {
    if (byte(10) === 0xff && byte(11) === 0xff) return true;
    return byte(10) === 0 && byte(11) === 0;
  }
  if (first === 0x00 && byte(1) === 0x64 && byte(2) === 0xff && byte(3) === 0x9b) {
    const wellKnown = zeros(bytes, at + 4, 8);
    const localUse = byte(4) === 0 && byte(5) === 1;
    if (wellKnown || localUse) return isInternalV4(bytes, at + 12);
  }
  return false;
}

/** 4 or 16 address bytes; any other length is not an address and not internal. */
export function isInternalAddress(bytes: Uint8Array): boolean {
  if (bytes.length === 4) return isInternalV4(bytes);
  if (bytes.length === 16) return isInternalV6(bytes);
  return false;
}

function zeros(bytes: Uint8Array, from: number, count: number): boolean {
  for (let i = 0; i < count; i++) if ((bytes[from + i] ?? 0) !== 0) return false;
  return true;
}
