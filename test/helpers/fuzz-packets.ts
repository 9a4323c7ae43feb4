// Seeded generators of hostile DNS messages: random bytes, valid queries mutated at random, and the classic
// malformations (truncated headers, bad counts, compression loops, long labels and names, huge EDNS options).
import dnsPacket from 'dns-packet';
import { seededRandom } from './seeded-random.js';

export class Fuzzer {
  private readonly random: () => number;

  constructor(
    seed: number,
    /** Names are made under this zone, so valid-looking queries may be allowed and forwarded. */
    private readonly zone: string,
  ) {
    this.random = seededRandom(seed);
  }

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('empty list');
    return item;
  }

  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  label(): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-';
    let text = '';
    for (let i = 1 + this.int(20); i > 0; i--) text += alphabet[this.int(alphabet.length)] ?? 'a';
    return text;
  }

  /** A well-formed query (sometimes with EDNS, DO, ECS or a cookie) for a name under the zone or elsewhere. */
  validQuery(id: number): Buffer {
    const name =
      this.int(4) === 0 ? `${this.label()}.elsewhere.test` : `${this.label()}.${this.label()}.${this.zone}`;
    // A, AAAA, TXT, MX, ANY, NULL, CNAME, SRV, HTTPS, a private-use type: patched in by code below
    const qtype = this.pick([1, 28, 16, 15, 255, 10, 5, 33, 65, 65399]);
    const additionals: dnsPacket.OptAnswer[] = [];
    if (this.int(2) === 0) {
      const options: dnsPacket.PacketOpt[] = [];
      if (this.int(3) === 0) {
        options.push({
          code: 8,
          family: 1,
          sourcePrefixLength: 24,
          scopePrefixLength: 0,
          ip: '198.51.100.0',
        });
      }
      // a client cookie (option 10), which the typings do not list
      if (this.int(3) === 0)
        options.push({ code: 10, data: this.bytes(8) } as unknown as dnsPacket.PacketOpt);
      const flags = this.int(2) === 0 ? dnsPacket.DNSSEC_OK : 0;
      additionals.push({
        type: 'OPT',
        name: '.',
        udpPayloadSize: this.pick([512, 1232, 4096, 65535]),
        extendedRcode: 0,
        ednsVersion: 0,
        flags,
        flag_do: flags !== 0,
        options,
      });
    }
    const packet = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type: 'A', class: 'IN' }],
      additionals,
    });
    packet.writeUInt16BE(qtype, 12 + name.length + 2);
    return packet;
  }

  /** One hostile message: random, a mutated valid query, or a named malformation. */
  next(id: number): { kind: string; packet: Buffer } {
    const roll = this.int(10);
    if (roll === 0) return { kind: 'random', packet: this.bytes(this.int(600)) };
    if (roll <= 4) return this.mutated(id);
    return this.malformation(id);
  }

  mutated(id: number): { kind: string; packet: Buffer } {
    let packet = Buffer.from(this.validQuery(id));
    const kinds: string[] = [];
    for (let n = 1 + this.int(4); n > 0; n--) {
      const mutation = this.int(7);
      if (mutation === 0 && packet.length > 0) {
        const at = this.int(packet.length);
        packet[at] = (packet[at] ?? 0) ^ (1 << this.int(8));
        kinds.push('bitflip');
      } else if (mutation === 1 && packet.length > 0) {
        packet[this.int(packet.length)] = this.int(256);
        kinds.push('byte');
      } else if (mutation === 2) {
        packet = packet.subarray(0, this.int(packet.length + 1));
        kinds.push('truncate');
      } else if (mutation === 3) {
        packet = Buffer.concat([packet, this.bytes(1 + this.int(64))]);
        kinds.push('append');
      } else if (mutation === 4 && packet.length >= 12) {
        packet.writeUInt16BE(this.pick([0, 1, 2, 3, 255, 0xffff, this.int(0x10000)]), 4 + 2 * this.int(4));
        kinds.push('count');
      } else if (mutation === 5 && packet.length >= 4) {
        // opcode, QR, or the whole flags word
        packet.writeUInt16BE(this.int(0x10000), 2);
        kinds.push('flags');
      } else if (packet.length > 13) {
        // a compression pointer somewhere in the message, aimed anywhere
        const at = 12 + this.int(packet.length - 13);
        packet[at] = 0xc0 | this.int(0x40);
        packet[at + 1] = this.int(256);
        kinds.push('pointer');
      }
    }
    return { kind: `mutated:${kinds.join('+')}`, packet };
  }

  malformation(id: number): { kind: string; packet: Buffer } {
    const header = (qd: number, an = 0, ns = 0, ar = 0, flags = 0x0100): Buffer => {
      const out = Buffer.alloc(12);
      out.writeUInt16BE(id, 0);
      out.writeUInt16BE(flags, 2);
      out.writeUInt16BE(qd, 4);
      out.writeUInt16BE(an, 6);
      out.writeUInt16BE(ns, 8);
      out.writeUInt16BE(ar, 10);
      return out;
    };
    const name = (labels: readonly string[]): Buffer =>
      Buffer.concat([
        ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
        Buffer.from([0]),
      ]);
    const question = (wire: Buffer, qtype = 1): Buffer =>
      Buffer.concat([wire, Buffer.from([qtype >> 8, qtype & 0xff, 0, 1])]);
    const zoneLabels = this.zone.split('.');
    const opt = (rdata: Buffer, rdlength = rdata.length, payload = 4096): Buffer => {
      const out = Buffer.alloc(11);
      out.writeUInt16BE(41, 1);
      out.writeUInt16BE(payload, 3);
      out.writeUInt16BE(rdlength, 9);
      return Buffer.concat([out, rdata]);
    };
    const option = (code: number, data: Buffer, length = data.length): Buffer => {
      const out = Buffer.alloc(4);
      out.writeUInt16BE(code, 0);
      out.writeUInt16BE(length, 2);
      return Buffer.concat([out, data]);
    };
    const good = question(name([this.label(), ...zoneLabels]));
    const cases: (() => [string, Buffer])[] = [
      () => ['truncated header', header(1).subarray(0, this.int(12))],
      () => ['header only', header(1)],
      () => ['qdcount 0', header(0)],
      () => ['qdcount 2', Buffer.concat([header(2), good, good])],
      () => ['qdcount 65535', Buffer.concat([header(0xffff), good])],
      () => ['ancount 65535, no data', Buffer.concat([header(1, 0xffff), good])],
      () => ['arcount 65535, no data', Buffer.concat([header(1, 0, 0, 0xffff), good])],
      () => ['pointer loop in question', Buffer.concat([header(1), Buffer.from([0xc0, 12, 0, 1, 0, 1])])],
      () => [
        'pointer forward in question',
        Buffer.concat([header(1), Buffer.from([0xc0, 14, 0xc0, 12, 0, 1, 0, 1])]),
      ],
      () => [
        'pointer loop in additional',
        Buffer.concat([
          header(1, 0, 0, 1),
          good,
          Buffer.from([0xc0, 12 + good.length, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]),
        ]),
      ],
      () => ['label of 64', Buffer.concat([header(1), question(name(['a'.repeat(64), ...zoneLabels]))])],
      () => ['label length 0xff', Buffer.concat([header(1), Buffer.from([0xff]), this.bytes(40)])],
      () => [
        'reserved label type 0x80',
        Buffer.concat([header(1), Buffer.from([0x81, 0x61, 0, 0, 1, 0, 1])]),
      ],
      () => [
        'name of 256+',
        Buffer.concat([
          header(1),
          question(name([...Array.from({ length: 5 }, () => 'b'.repeat(63)), ...zoneLabels])),
        ]),
      ],
      () => [
        'name of 255 exactly',
        Buffer.concat([
          header(1),
          question(
            name([
              ...Array.from({ length: 3 }, () => 'c'.repeat(63)),
              'd'.repeat(61 - this.zone.length - 1),
              ...zoneLabels,
            ]),
          ),
        ]),
      ],
      () => [
        'question truncated after name',
        Buffer.concat([header(1), name([this.label(), ...zoneLabels])]),
      ],
      () => [
        'huge EDNS option',
        Buffer.concat([header(1, 0, 0, 1), good, opt(option(65001, this.bytes(60_000)))]),
      ],
      () => [
        'EDNS option longer than its record',
        Buffer.concat([header(1, 0, 0, 1), good, opt(option(8, this.bytes(4), 2000))]),
      ],
      () => [
        'OPT rdlength past the end',
        Buffer.concat([header(1, 0, 0, 1), good, opt(this.bytes(10), 5000)]),
      ],
      () => [
        'many EDNS options',
        Buffer.concat([
          header(1, 0, 0, 1),
          good,
          opt(Buffer.concat(Array.from({ length: 2000 }, () => option(this.int(65536), Buffer.alloc(0))))),
        ]),
      ],
      () => [
        'two OPT records',
        Buffer.concat([header(1, 0, 0, 2), good, opt(Buffer.alloc(0)), opt(Buffer.alloc(0))]),
      ],
      () => ['OPT in the answer section', Buffer.concat([header(1, 1), good, opt(Buffer.alloc(0))])],
      () => [
        'OPT with a non-root owner',
        Buffer.concat([header(1, 0, 0, 1), good, Buffer.from([1, 0x61]), opt(Buffer.alloc(0))]),
      ],
      () => [
        'ECS option with bad family',
        Buffer.concat([header(1, 0, 0, 1), good, opt(option(8, Buffer.from([0, 9, 200, 0, 1, 2, 3])))]),
      ],
      () => ['response (QR=1)', Buffer.concat([header(1, 0, 0, 0, 0x8180), good])],
      () => ['opcode UPDATE', Buffer.concat([header(1, 0, 0, 0, 0x2800), good])],
      () => [
        'class ANY',
        Buffer.concat([header(1), name([this.label(), ...zoneLabels]), Buffer.from([0, 1, 0, 0xff])]),
      ],
      () => ['qtype AXFR', Buffer.concat([header(1), question(name([this.label(), ...zoneLabels]), 252)])],
      () => ['qtype 0', Buffer.concat([header(1), question(name([this.label(), ...zoneLabels]), 0)])],
      () => ['empty name (root)', Buffer.concat([header(1), question(Buffer.from([0]))])],
      () => [
        'NUL and dots inside a label',
        Buffer.concat([header(1), question(name(['a\u0000.b\\c', ...zoneLabels]))]),
      ],
      () => ['trailing garbage', Buffer.concat([header(1), good, this.bytes(1 + this.int(100))])],
      () => ['zero-length datagram', Buffer.alloc(0)],
    ];
    const [kind, packet] = this.pick(cases)();
    return { kind, packet };
  }
}
