// DNS rebinding guard: public names must not resolve to private, loopback, link-local or unique-local
// addresses (an attacker's name pointed at 127.0.0.1 or 10.x reaches internal services from the agent).
import dnsPacket from 'dns-packet';
import { NameTrie } from '../policy/name-trie.js';
import { addressToBigInt, parsePrefix, type Prefix } from '../policy/cidr.js';
import { QTYPE } from './codes.js';
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

  /** The answer with private A/AAAA records removed (unless the name is exempt); null if it cannot be rewritten. */
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
    if (type === QTYPE.A && length === 4 && isPrivateAddress(wire.subarray(rdata, rdata + 4).join('.')))
      return true;
    if (type === QTYPE.AAAA && length === 16 && isPrivateAddress(ipv6Text(wire, rdata))) return true;
    offset = rdata + length;
  }
  return false;
}

function ipv6Text(wire: Buffer, start: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(wire.readUInt16BE(start + i).toString(16));
  return groups.join(':');
}
