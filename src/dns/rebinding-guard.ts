// DNS rebinding guard: public names must not resolve to private, loopback, link-local or unique-local
// addresses (an attacker's name pointed at 127.0.0.1 or 10.x reaches internal services from the agent).
import dnsPacket from 'dns-packet';
import type { Config } from '../config/schema.js';
import { NameTrie } from '../lib/name-trie.js';
import { addressToBigInt, parsePrefix, type Prefix } from '../lib/cidr.js';
import { QTYPE } from '../lib/dns-codes.js';
import { readUpstreamAnswer, type UpstreamAnswer } from './upstream-answer.js';
import { skipName } from './wire.js';

const PRIVATE_RANGES: readonly Prefix[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '::/127',
  '::ffff:0:0/96',
  'fc00::/7',
  'fe80::/10',
].map((text) => parsePrefix(text) as Prefix);

export function isPrivateAddress(address: string): boolean {
  const parsed = addressToBigInt(address);
  if (!parsed) return false;
  return PRIVATE_RANGES.some((range) => {
    if (range.family !== parsed.family) return false;
    const width = range.family === 4 ? 32n : 128n;
    const shift = width - BigInt(range.bits);
    return parsed.value >> shift === range.network >> shift;
  });
}

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
  /** Answers from which private addresses were removed. */
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

  /** `name` is the normalized (lower-case) qname. The answer with private A/AAAA records removed (unless the name is exempt); null if it cannot be rewritten. */
  check(name: string, answer: UpstreamAnswer, questionEnd: number): UpstreamAnswer | null {
    if (
      !this.enabled ||
      answer.answerCount === 0 ||
      !hasPrivateAddress(answer.wire, questionEnd, answer.answerCount)
    ) {
      return answer;
    }
    if (this.exempt.lookup(name, () => true)) return answer;
    this.stripped++;
    try {
      const packet = dnsPacket.decode(answer.wire);
      packet.answers = (packet.answers ?? []).filter(
        (record) => !((record.type === 'A' || record.type === 'AAAA') && isPrivateAddress(record.data)),
      );
      return readUpstreamAnswer(dnsPacket.encode(packet), questionEnd);
    } catch {
      return null;
    }
  }
}

/** Scans the answer section's A/AAAA rdata without decoding the message. */
function hasPrivateAddress(wire: Buffer, questionEnd: number, count: number): boolean {
  let offset = questionEnd;
  for (let i = 0; i < count; i++) {
    const owner = skipName(wire, offset);
    if (owner < 0 || owner + 10 > wire.length) return false;
    const type = wire.readUInt16BE(owner);
    const length = wire.readUInt16BE(owner + 8);
    const rdata = owner + 10;
    if (type === QTYPE.A && length === 4 && isPrivateV4(wire, rdata)) return true;
    if (type === QTYPE.AAAA && length === 16 && isPrivateV6(wire, rdata)) return true;
    offset = rdata + length;
  }
  return false;
}

/** The ranges of PRIVATE_RANGES, on the four address bytes (the answer path reads them without parsing text). */
function isPrivateV4(wire: Buffer, at: number): boolean {
  const a = wire[at] ?? 0;
  const b = wire[at + 1] ?? 0;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168)
  );
}

function isPrivateV6(wire: Buffer, at: number): boolean {
  const first = wire[at] ?? 0;
  if ((first & 0xfe) === 0xfc) return true; // fc00::/7
  if (first === 0xfe && ((wire[at + 1] ?? 0) & 0xc0) === 0x80) return true; // fe80::/10
  for (let i = 0; i < 10; i++) if (wire[at + i] !== 0) return false;
  if (wire[at + 10] === 0xff && wire[at + 11] === 0xff) return true; // ::ffff:0:0/96
  for (let i = 10; i < 15; i++) if (wire[at + i] !== 0) return false;
  return (wire[at + 15] ?? 0) <= 1; // :: and ::1
}
