// DNS code points: qtype and rcode mnemonics <-> numbers (RFC 3597 "TYPEnnn" for the rest).
import dnsTypes from 'dns-packet/types.js';

const EXTRA_TYPES: Record<string, number> = { SVCB: 64, HTTPS: 65, SPF: 99, URI: 256, ZONEMD: 63, CSYNC: 62 };
const EXTRA_NAMES = new Map(Object.entries(EXTRA_TYPES).map(([name, code]) => [code, name]));

const nameCache = new Map<number, string>();

export function qtypeName(code: number): string {
  let name = nameCache.get(code);
  if (name === undefined) {
    const known = EXTRA_NAMES.get(code) ?? dnsTypes.toString(code);
    name = known.startsWith('UNKNOWN_') ? `TYPE${code}` : known;
    nameCache.set(code, name);
  }
  return name;
}

/** Mnemonic or "TYPEnnn" -> code; undefined when neither. */
export function qtypeCode(name: string): number | undefined {
  const upper = name.toUpperCase();
  const numeric = /^TYPE(\d+)$/.exec(upper);
  if (numeric) return Number(numeric[1]);
  const extra = EXTRA_TYPES[upper];
  if (extra !== undefined) return extra;
  const code = dnsTypes.toType(upper);
  return code === 0 ? undefined : code;
}

export const QTYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  NULL: 10,
  PTR: 12,
  MX: 15,
  TXT: 16,
  KEY: 25,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  DNSKEY: 48,
  SVCB: 64,
  HTTPS: 65,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const RCODE_NAMES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];

export function rcodeName(code: number): string {
  return RCODE_NAMES[code] ?? `RCODE${code}`;
}

export const CLASS_IN = 1;
export const OPCODE_QUERY = 0;
