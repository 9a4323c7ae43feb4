// Link-layer headers: where the IP packet starts in a frame of each supported link type.

/** LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) this reader decodes. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export type LinkResult =
  /** IP starts at `offset`; version 0 means "read it from the first nibble". */
  | { readonly kind: 'ip'; readonly offset: number; readonly version: 0 | 4 | 6 }
  | { readonly kind: 'non-ip' }
  | { readonly kind: 'unsupported' }
  | { readonly kind: 'malformed' };

const NON_IP: LinkResult = { kind: 'non-ip' };
const UNSUPPORTED: LinkResult = { kind: 'unsupported' };
const MALFORMED: LinkResult = { kind: 'malformed' };

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_PPPOE_SESSION = 0x8864;
const ETHERTYPE_MPLS = 0x8847;
const VLAN_ETHERTYPES = new Set([0x8100, 0x88a8, 0x9100, 0x9200]);
const MAX_TAGS = 8;
/** BSD address families for IPv6 differ by OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30. */
const AF_INET = 2;
const AF_INET6 = new Set([10, 24, 28, 30]);
const ARPHRD_NETLINK = 824;

/** Finds the IP header in a frame of `linkType`. Never throws. */
export function findIp(linkType: number, data: Buffer): LinkResult {
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      return data.length < 14 ? MALFORMED : afterEthertype(data, 12);
    case LINKTYPE.LINUX_SLL:
      if (data.length < 16) return MALFORMED;
      return data.readUInt16BE(2) === ARPHRD_NETLINK ? NON_IP : afterEthertype(data, 14);
    case LINKTYPE.LINUX_SLL2: {
      if (data.length < 20) return MALFORMED;
      if (data.readUInt16BE(8) === ARPHRD_NETLINK) return NON_IP;
      return ethertypeAt(data, data.readUInt16BE(0), 20, 0);
    }
    case LINKTYPE.RAW:
      return { kind: 'ip', offset: 0, version: 0 };
    case LINKTYPE.IPV4:
      return { kind: 'ip', offset: 0, version: 4 };
    case LINKTYPE.IPV6:
      return { kind: 'ip', offset: 0, version: 6 };
    case LINKTYPE.NULL: {
      if (data.length < 4) return MALFORMED;
      // the family is in the capturing host's byte order, which the file does not record
      let family = data.readUInt32LE(0);
      if (family > 0xffff) family = data.readUInt32BE(0);
      return addressFamily(family);
    }
    case LINKTYPE.LOOP:
      return data.length < 4 ? MALFORMED : addressFamily(data.readUInt32BE(0));
    default:
      return UNSUPPORTED;
  }
}

function addressFamily(family: number): LinkResult {
  if (family === AF_INET) return { kind: 'ip', offset: 4, version: 4 };
  if (AF_INET6.has(family)) return { kind: 'ip', offset: 4, version: 6 };
  return NON_IP;
}

/** Reads the ethertype at `at` and follows VLAN tags (802.1Q, QinQ) to the payload. */
function afterEthertype(data: Buffer, at: number): LinkResult {
  return ethertypeAt(data, data.readUInt16BE(at), at + 2, 0);
}

function ethertypeAt(data: Buffer, ethertype: number, offset: number, depth: number): LinkResult {
  if (ethertype === ETHERTYPE_IPV4) return { kind: 'ip', offset, version: 4 };
  if (ethertype === ETHERTYPE_IPV6) return { kind: 'ip', offset, version: 6 };
  if (depth >= MAX_TAGS) return MALFORMED;
  if (VLAN_ETHERTYPES.has(ethertype)) {
    if (offset + 4 > data.length) return MALFORMED;
    return ethertypeAt(data, data.readUInt16BE(offset + 2), offset + 4, depth + 1);
  }
  if (ethertype === ETHERTYPE_PPPOE_SESSION) {
    // 6-byte PPPoE header, then the PPP protocol: 0x0021 IPv4, 0x0057 IPv6
    if (offset + 8 > data.length) return MALFORMED;
    const ppp = data.readUInt16BE(offset + 6);
    if (ppp === 0x0021) return { kind: 'ip', offset: offset + 8, version: 4 };
    if (ppp === 0x0057) return { kind: 'ip', offset: offset + 8, version: 6 };
    return NON_IP;
  }
  if (ethertype === ETHERTYPE_MPLS) {
    // label stack entries of 4 bytes until the bottom-of-stack bit; the payload's nibble says IPv4/6
    let at = offset;
    for (let i = 0; i < MAX_TAGS; i++) {
      if (at + 4 > data.length) return MALFORMED;
      const bottom = ((data[at + 2] ?? 0) & 0x01) !== 0;
      at += 4;
      if (bottom) return { kind: 'ip', offset: at, version: 0 };
    }
    return MALFORMED;
  }
  return NON_IP;
}
