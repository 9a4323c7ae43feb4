// DNS rebinding guard: public names must not resolve to internal addresses (an attacker's name pointed at
// 127.0.0.1, 10.x or 169.254.169.254 reaches internal services from the agent), in any section or form:
// A/AAAA in the answer, authority and additional sections, and SVCB/HTTPS ipv4hint/ipv6hint.
import dnsPacket from 'dns-packet';
import type { Config } from '../config/schema.js';
import { NameTrie } from '../lib/name-trie.js';
import { isInternalV4, isInternalV6 } from '../lib/internal-address.js';
import { QTYPE } from '../lib/dns-codes.js';
import { readUpstreamAnswer, type UpstreamAnswer } from './upstream-answer.js';
import { skipName } from './wire.js';

/** Where internal answers are expected, so never stripped (at and below each zone). */
export const ALWAYS_INTERNAL_ZONES: readonly string[] = ['cluster.local'];

/**
 * The exempt names of a config: cluster.local and the configured cluster domain, detection.internalZones,
 * every conditional-forwarding zone (whether or not its names go to a forward rule or to the default
 * upstream), and guard.rebinding.allowNames. A public name answering with a private address is still stripped.
 */
export function rebindingExemptions(config: Config): string[] {
  const zones = new Set([
    ...ALWAYS_INTERNAL_ZONES,
    config.guard.rebinding.clusterDomain,
    ...config.detection.internalZones,
    ...config.upstreams.forward.map((rule) => rule.zone),
  ]);
  zones.delete('');
  return [...[...zones].flatMap((zone) => [zone, `*.${zone}`]), ...config.guard.rebinding.allowNames];
}

export class RebindingGuard {
  private readonly exempt = new NameTrie<true>();
  /** Answers from which internal addresses were removed. */
  stripped = 0;

  /** `exemptNames`: "host.example" or "*.suffix" (e.g. conditional-forwarding zones such as cluster.local). */
  constructor(
    private readonly enabled: boolean,
    exemptNames: readonly string[],
  ) {
    for (const pattern of exemptNames) {
      const name = pattern.toLowerCase().replace(/\.$/, '');
      if (name.startsWith('*.')) this.exempt.insert(name.slice(2), true, true);
      else this.exempt.insert(name, false, true);
    }
  }

  /**
   * `name` is the normalized (lower-case) qname. The answer without the records that carry an internal
   * address (unless the name is exempt); null if it cannot be rewritten.
   */
  check(name: string, answer: UpstreamAnswer, questionEnd: number): UpstreamAnswer | null {
    if (!this.enabled) return answer;
    const found = internalRecords(answer.wire, questionEnd);
    if (found.drop.size === 0 || this.exempt.lookup(name, () => true)) return answer;
    this.stripped++;
    const cut = cutTrailingRecords(answer.wire, found);
    if (cut) return readUpstreamAnswer(cut, questionEnd);
    try {
      const packet = dnsPacket.decode(answer.wire);
      let index = 0;
      const keep = (): boolean => !found.drop.has(index++);
      packet.answers = (packet.answers ?? []).filter(keep);
      packet.authorities = (packet.authorities ?? []).filter(keep);
      packet.additionals = (packet.additionals ?? []).filter(keep);
      return readUpstreamAnswer(dnsPacket.encode(packet), questionEnd);
    } catch {
      return null;
    }
  }
}

interface InternalRecords {
  /** Indexes (over all three sections, in order) of the records that carry an internal address. */
  readonly drop: Set<number>;
  /** Where each record read starts in the wire. */
  readonly starts: readonly number[];
}

/**
 * When the records to drop are the last ones of the message (glue in the additional section, an answer's last
 * addresses), the wire cut before the first of them with its section counts lowered. Compression pointers only
 * point backwards, so every kept name still resolves. Null when a kept record follows a dropped one.
 */
function cutTrailingRecords(wire: Buffer, found: InternalRecords): Buffer | null {
  const total = found.starts.length;
  if (total !== wire.readUInt16BE(6) + wire.readUInt16BE(8) + wire.readUInt16BE(10)) return null;
  const first = total - found.drop.size;
  for (let i = first; i < total; i++) if (!found.drop.has(i)) return null;
  const cut = Buffer.from(wire.subarray(0, found.starts[first]));
  let kept = first;
  for (const countAt of [6, 8, 10]) {
    const count = Math.min(cut.readUInt16BE(countAt), kept);
    cut.writeUInt16BE(count, countAt);
    kept -= count;
  }
  return cut;
}

/** The records that carry an internal address, and where every record starts. */
function internalRecords(wire: Buffer, questionEnd: number): InternalRecords {
  const drop = new Set<number>();
  const starts: number[] = [];
  if (wire.length < 12) return { drop, starts };
  const count = wire.readUInt16BE(6) + wire.readUInt16BE(8) + wire.readUInt16BE(10);
  let offset = questionEnd;
  for (let i = 0; i < count; i++) {
    const owner = skipName(wire, offset);
    if (owner < 0 || owner + 10 > wire.length) break;
    starts.push(offset);
    const type = wire.readUInt16BE(owner);
    const length = wire.readUInt16BE(owner + 8);
    const rdata = owner + 10;
    const end = Math.min(rdata + length, wire.length);
    if (
      (type === QTYPE.A && length === 4 && isInternalV4(wire, rdata)) ||
      (type === QTYPE.AAAA && length === 16 && isInternalV6(wire, rdata)) ||
      ((type === QTYPE.SVCB || type === QTYPE.HTTPS) && hasInternalHint(wire, rdata, end))
    ) {
      drop.add(i);
    }
    offset = rdata + length;
  }
  return { drop, starts };
}

const SVC_IPV4HINT = 4;
const SVC_IPV6HINT = 6;

/** RFC 9460 rdata: priority, target name (never compressed), then key/length/value parameters. */
function hasInternalHint(wire: Buffer, rdata: number, end: number): boolean {
  let offset = skipName(wire, rdata + 2);
  if (offset < 0) return false;
  while (offset + 4 <= end) {
    const key = wire.readUInt16BE(offset);
    const length = wire.readUInt16BE(offset + 2);
    const value = offset + 4;
    if (value + length > end) return true; // malformed parameters: not passed on to the client
    if (key === SVC_IPV4HINT) {
      for (let at = value; at + 4 <= value + length; at += 4) if (isInternalV4(wire, at)) return true;
    }
    if (key === SVC_IPV6HINT) {
      for (let at = value; at + 16 <= value + length; at += 16) if (isInternalV6(wire, at)) return true;
    }
    offset = value + length;
  }
  return false;
}
