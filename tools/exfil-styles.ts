// Evasive exfiltration styles and hard benign traffic as query plans (name, qtype, transport, offset), seeded.
// The same plans feed the detection unit tests, the live e2e test and fixtures/make-captures.sh (tools/evasive-plan.ts).
import { seededRandom } from '../test/helpers/seeded-random.js';

export interface PlannedQuery {
  readonly qname: string;
  readonly qtype: 'A' | 'AAAA' | 'TXT';
  readonly transport: 'udp' | 'tcp';
  /** Milliseconds after the style's first query. */
  readonly atMs: number;
}

export interface StylePlan {
  readonly style: string;
  /** The registrable domains the payload goes to (the zones a label file names). */
  readonly zones: readonly string[];
  readonly queries: readonly PlannedQuery[];
}

/** Fake customer records: the payload every style carries (~600 bytes). */
export function customerRecords(seed = 7, rows = 12): Buffer {
  const rand = seededRandom(seed);
  const first = ['ada', 'ben', 'cleo', 'dara', 'eli', 'fay', 'gus', 'hana', 'ivo', 'june', 'kai', 'lena'];
  const lines = ['id,name,email,card'];
  for (let i = 0; i < rows; i++) {
    const name = first[Math.floor(rand() * first.length)] ?? 'x';
    const card = Array.from({ length: 16 }, () => Math.floor(rand() * 10)).join('');
    lines.push(`${1000 + i},${name},${name}${i}@mail.example,${card}`);
  }
  return Buffer.from(lines.join('\n'));
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31] ?? '';
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31] ?? '';
  return out;
}

function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** 256 ordinary words: one payload byte per word, so the names read as English. */
const WORDS = (
  'able acid aged also area army away baby back ball band bank base bath bear beat been beer bell belt best ' +
  'bill bird blow blue boat body bomb bond bone book boom born boss both bowl bulk burn bush busy call calm ' +
  'came camp card care case cash cast cell chat chip city club coal coat code cold come cook cool cope copy ' +
  'core cost crew crop dark data date dawn days dead deal dean dear debt deep deny desk dial diet disc disk ' +
  'does done door dose down draw drew drop drug dual duke dust duty each earn ease east easy edge else even ' +
  'ever evil exit face fact fail fair fall farm fast fate fear feed feel feet fell felt file fill film find ' +
  'fine fire firm fish five flat flow food foot ford form fort four free from fuel full fund gain game gate ' +
  'gave gear gene gift girl give glad goal goes gold golf gone good gray grew grey grow gulf hair half hall ' +
  'hand hang hard harm hate have head hear heat held hell help here hero high hill hire hold hole holy home ' +
  'hope host hour huge hung hunt hurt idea inch into iron item jack jane jean john join jump jury just keen ' +
  'keep kent kept kick kill kind king knee knew know lack lady laid lake land lane last late lead left less ' +
  'life lift like line link list live load loan lock logo long look lord lose loss lost love luck made mail'
).split(' ');

function wordChain(bytes: Buffer): string[] {
  return [...bytes].map((b) => WORDS[b] ?? 'x');
}

function hex(bytes: Buffer): string {
  return bytes.toString('hex');
}

function base64url(bytes: Buffer): string {
  return bytes.toString('base64url').toLowerCase();
}

function plan(
  style: string,
  zones: string[],
  names: string[],
  qtype: PlannedQuery['qtype'],
  transport: PlannedQuery['transport'],
  everyMs: number,
): StylePlan {
  return {
    style,
    zones,
    queries: names.map((qname, i) => ({ qname, qtype, transport, atMs: i * everyMs })),
  };
}

/** The evasive styles of issue 21, each built from its description with our own words, domains and pacing. */
export function evasiveStyles(seed = 7, wildcardZone = 'files.vendorcloud.net'): StylePlan[] {
  const data = customerRecords(seed);
  const words = wordChain(data);
  const wordNames: string[] = [];
  for (let i = 0; i + 6 <= words.length && wordNames.length < 100; i += 6) {
    wordNames.push(`${words.slice(i, i + 3).join('')}.${words.slice(i + 3, i + 6).join('')}.hollowbrook.com`);
  }
  const b32 = base32(data);
  const spreadDomains = [
    'quietharbor.com',
    'tallpines.net',
    'mapleforge.org',
    'redkestrel.io',
    'silverbirch.co',
    'brightmeadow.com',
    'coldriver.net',
    'stonegate.org',
    'amberfield.io',
    'windmill.co',
    'northcove.com',
    'elmstreet.net',
  ];
  const spreadNames = chunks(b32, 26).map((c, i) => `${c}.${spreadDomains[Math.floor(i / 3) % 12] ?? ''}`);
  const manyLabels = chunks(b32, 80).map((c) => `${chunks(c, 10).join('.')}.lanternpost.com`);
  const b64 = chunks(base64url(data), 56).map((c, i) => `${c}.${String(i)}.copperkettle.net`);
  const hexNames = chunks(hex(data.subarray(0, 300)), 30).map((c, i) => `${c}.s${String(i)}.ridgeline.org`);
  const wildcard = chunks(b32, 48).map((c) => `${c}.${wildcardZone}`);
  const id = hex(Buffer.from([seed, 0x5a, 0xc3, 0x19]));
  const beacon = Array.from({ length: 10 }, (_, i) => `${id}-${String(i + 1)}.status.pollwatch.net`);
  return [
    plan('word-chain', ['hollowbrook.com'], wordNames, 'A', 'udp', 200),
    plan('spread-12-domains', spreadDomains, spreadNames, 'A', 'udp', 150),
    plan('many-short-labels-aaaa', ['lanternpost.com'], manyLabels, 'AAAA', 'udp', 150),
    plan('base64url-txt-tcp', ['copperkettle.net'], b64, 'TXT', 'tcp', 150),
    plan('hex-slow', ['ridgeline.org'], hexNames, 'A', 'udp', 1000),
    plan('wildcard-allowlisted', [wildcardZone.split('.').slice(-2).join('.')], wildcard, 'A', 'udp', 150),
    plan('beacon', ['pollwatch.net'], beacon, 'TXT', 'udp', 3000),
  ];
}

/** Hard benign traffic: names that look odd but are ordinary in a cluster or a mail/TLS agent. */
export function hardBenign(seed = 11): StylePlan[] {
  const rand = seededRandom(seed);
  const alnum = 'bcdfghjklmnpqrstvwxz2456789';
  const pick = (n: number): string =>
    Array.from({ length: n }, () => alnum[Math.floor(rand() * alnum.length)] ?? 'x').join('');
  const pods = Array.from({ length: 30 }, () => `agent-runner-${pick(10)}-${pick(5)}`);
  const k8s = ['api.openai.com', 'pypi.org', 'github.com'].flatMap((n) => [
    `${n}.agents.svc.cluster.local`,
    `${n}.svc.cluster.local`,
    `${n}.cluster.local`,
    n,
  ]);
  const ordinals = Array.from({ length: 6 }, (_, i) => `worker-${String(i)}.worker.agents.svc.cluster.local`);
  const nodes = Array.from({ length: 6 }, (_, i) => `ip-10-0-${String(i)}-${String(20 + i)}.ec2.internal`);
  const cloudfront = Array.from({ length: 12 }, () => `d${pick(13)}.cloudfront.net`);
  const dnsbl = Array.from({ length: 20 }, (_, i) => `${String(i + 1)}.113.0.203.zen.spamhaus.org`);
  const mail = [
    '_dmarc.example.com',
    'selector1._domainkey.example.com',
    'google._domainkey.example.org',
    '_acme-challenge.www.example.com',
    '_acme-challenge.api.example.com',
    '_sip._tcp.example.com',
    '_xmpp-client._tcp.example.org',
    '_mta-sts.example.com',
  ];
  return [
    plan('bare-pod-hostnames', [], pods, 'A', 'udp', 400),
    plan('k8s-search-list', [], [...k8s, ...ordinals, ...nodes], 'A', 'udp', 100),
    plan('cloudfront-ids', [], cloudfront, 'A', 'udp', 500),
    plan('dnsbl', [], dnsbl, 'A', 'udp', 300),
    plan('dkim-acme-srv-dmarc', [], mail, 'TXT', 'udp', 400),
  ];
}
