// IPv4 (with options) and IPv6 (with extension headers): addresses, upper protocol, payload, fragment.

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** Where a fragment sits in its original datagram. */
export interface FragmentInfo {
  /** Identifies the datagram together with the addresses (and, for IPv4, the protocol). */
  readonly id: number;
  /** Byte offset of this fragment's data in the datagram's payload. */
  readonly offset: number;
  readonly more: boolean;
}

export interface IpPacket {
  readonly kind: 'ip';
  readonly version: 4 | 6;
  readonly buf: Buffer;
  /** Offsets of the 4- or 16-byte addresses in `buf`. */
  readonly srcAt: number;
  readonly dstAt: number;
  /** Upper-layer protocol; for an IPv6 fragment, the header that follows the fragment header. */
  readonly protocol: number;
  /** Upper-layer bytes (a view), trimmed to the IP length (drops Ethernet padding and FCS). */
  readonly payload: Buffer;
  /** The snap length cut the packet: the payload is incomplete. */
  readonly truncated: boolean;
  readonly fragment?: FragmentInfo;
}

export type IpResult = IpPacket | { readonly kind: 'malformed' } | { readonly kind: 'other' };

const MALFORMED = { kind: 'malformed' } as const;
const OTHER = { kind: 'other' } as const;

const EXT_HOP_BY_HOP = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_AH = 51;
const EXT_DEST_OPTS = 60;
const EXT_MOBILITY = 135;
const EXT_HIP = 139;
const EXT_SHIM6 = 140;
const EXT_GENERIC = new Set([EXT_HOP_BY_HOP, EXT_ROUTING, EXT_DEST_OPTS, EXT_MOBILITY, EXT_HIP, EXT_SHIM6]);

/** Decodes the IP header at `offset`; `version` 0 reads it from the first nibble. Never throws. */
export function parseIp(buf: Buffer, offset: number, version: 0 | 4 | 6): IpResult {
  if (offset >= buf.length) return MALFORMED;
  const nibble = (buf[offset] ?? 0) >> 4;
  if (version !== 0 && nibble !== version) return MALFORMED;
  if (nibble === 4) return parseIpv4(buf, offset);
  if (nibble === 6) return parseIpv6(buf, offset);
  return version === 0 ? OTHER : MALFORMED;
}

function parseIpv4(buf: Buffer, at: number): IpResult {
  if (at + 20 > buf.length) return MALFORMED;
  const headerLength = ((buf[at] ?? 0) & 0x0f) * 4;
  if (headerLength < 20 || at + headerLength > buf.length) return MALFORMED;
  let totalLength = buf.readUInt16BE(at + 2);
  // 0 is what segmentation offload leaves in locally captured packets: take what was captured
  if (totalLength === 0) totalLength = buf.length - at;
  if (totalLength < headerLength) return MALFORMED;
  const available = buf.length - at;
  const end = at + Math.min(totalLength, available);
  const flags = buf.readUInt16BE(at + 6);
  const fragmentOffset = (flags & 0x1fff) * 8;
  const more = (flags & 0x2000) !== 0;
  const packet: IpPacket = {
    kind: 'ip',
    version: 4,
    buf,
    srcAt: at + 12,
    dstAt: at + 16,
    protocol: buf[at + 9] ?? 0,
    payload: buf.subarray(at + headerLength, end),
    truncated: totalLength > available,
  };
  if (!more && fragmentOffset === 0) return packet;
  return { ...packet, fragment: { id: buf.readUInt16BE(at + 4), offset: fragmentOffset, more } };
}

function parseIpv6(buf: Buffer, at: number): IpResult {
  if (at + 40 > buf.length) return MALFORMED;
  let payloadLength = buf.readUInt16BE(at + 4);
  if (payloadLength === 0) payloadLength = buf.length - at - 40; // jumbogram or offload: take what is there
  const available = buf.length - at - 40;
  const payload = buf.subarray(at + 40, at + 40 + Math.min(payloadLength, available));
  const walked = walkExtensions(buf[at + 6] ?? 0, payload);
  if (!walked) return MALFORMED;
  const packet: IpPacket = {
    kind: 'ip',
    version: 6,
    buf,
    srcAt: at + 8,
    dstAt: at + 24,
    protocol: walked.protocol,
    payload: walked.payload,
    truncated: payloadLength > available,
  };
  return walked.fragment ? { ...packet, fragment: walked.fragment } : packet;
}

/**
 * Skips IPv6 extension headers starting with `next` at the start of `data`. Stops after a fragment
 * header (the rest is a fragment of the datagram). Also used on a reassembled datagram.
 */
export function walkExtensions(
  next: number,
  data: Buffer,
): { protocol: number; payload: Buffer; fragment?: FragmentInfo } | undefined {
  let protocol = next;
  let at = 0;
  for (let hops = 0; hops < 16; hops++) {
    if (EXT_GENERIC.has(protocol)) {
      if (at + 8 > data.length) return undefined;
      const following = data[at] ?? 0;
      at += ((data[at + 1] ?? 0) + 1) * 8;
      protocol = following;
    } else if (protocol === EXT_AH) {
      if (at + 8 > data.length) return undefined;
      const following = data[at] ?? 0;
      at += ((data[at + 1] ?? 0) + 2) * 4;
      protocol = following;
    } else if (protocol === EXT_FRAGMENT) {
      if (at + 8 > data.length) return undefined;
      const field = data.readUInt16BE(at + 2);
      const fragment = { id: data.readUInt32BE(at + 4), offset: field & 0xfff8, more: (field & 1) !== 0 };
      const following = data[at] ?? 0;
      at += 8;
      // an atomic fragment (offset 0, no more) is a whole datagram (RFC 6946)
      if (fragment.offset === 0 && !fragment.more) {
        protocol = following;
        continue;
      }
      return { protocol: following, payload: data.subarray(at), fragment };
    } else {
      break;
    }
    if (at > data.length) return undefined;
  }
  return { protocol, payload: data.subarray(at) };
}
