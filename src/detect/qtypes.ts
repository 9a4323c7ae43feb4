// Qtype classes for detection: common, data-carrying (what tunnels ask for), and rare (obsolete/unassigned).

/** Types a resolver legitimately sees from clients (mnemonics and their RFC 3597 TYPEnnn numbers). */
const COMMON: ReadonlyMap<string, number> = new Map([
  ['A', 1],
  ['NS', 2],
  ['CNAME', 5],
  ['SOA', 6],
  ['PTR', 12],
  ['HINFO', 13],
  ['MX', 15],
  ['TXT', 16],
  ['RP', 17],
  ['AFSDB', 18],
  ['SIG', 24],
  ['AAAA', 28],
  ['LOC', 29],
  ['SRV', 33],
  ['NAPTR', 35],
  ['KX', 36],
  ['CERT', 37],
  ['DNAME', 39],
  ['APL', 42],
  ['DS', 43],
  ['SSHFP', 44],
  ['IPSECKEY', 45],
  ['RRSIG', 46],
  ['NSEC', 47],
  ['DNSKEY', 48],
  ['DHCID', 49],
  ['NSEC3', 50],
  ['NSEC3PARAM', 51],
  ['TLSA', 52],
  ['SMIMEA', 53],
  ['HIP', 55],
  ['CDS', 59],
  ['CDNSKEY', 60],
  ['OPENPGPKEY', 61],
  ['CSYNC', 62],
  ['ZONEMD', 63],
  ['SVCB', 64],
  ['HTTPS', 65],
  ['SPF', 99],
  ['EUI48', 108],
  ['EUI64', 109],
  ['TKEY', 249],
  ['TSIG', 250],
  ['IXFR', 251],
  ['AXFR', 252],
  ['ANY', 255],
  ['URI', 256],
  ['CAA', 257],
  ['DLV', 32769],
]);
const COMMON_CODES = new Set(COMMON.values());

/** Types whose answers carry free-form payload or names: the downstream of every DNS tunnel. */
const DATA = new Set([
  'TXT',
  'NULL',
  'KEY',
  'MX',
  'CNAME',
  'SRV',
  'NAPTR',
  'ANY',
  'DNAME',
  'TYPE10',
  'TYPE16',
]);

/** Canonical mnemonic: TYPEnnn of a known type becomes its name (TYPE65 -> HTTPS). */
function canonical(qtype: string): string {
  const upper = qtype.toUpperCase();
  const m = /^TYPE(\d+)$/.exec(upper);
  if (m === null) return upper;
  const code = Number(m[1]);
  if (code === 10) return 'NULL';
  if (code === 25) return 'KEY';
  for (const [name, value] of COMMON) if (value === code) return name;
  return upper;
}

interface QtypeClass {
  readonly isNull: boolean;
  readonly rare: boolean;
  readonly data: boolean;
}

const classes = new Map<string, QtypeClass>();

function classify(qtype: string): QtypeClass {
  let c = classes.get(qtype);
  if (c === undefined) {
    const name = canonical(qtype);
    const m = /^TYPE(\d+)$/.exec(name);
    const rare = name !== 'NULL' && !COMMON.has(name) && (m === null || !COMMON_CODES.has(Number(m[1])));
    c = { isNull: name === 'NULL', rare, data: DATA.has(name) || rare };
    // qtype strings come from a 16-bit space; cap the memo anyway
    if (classes.size < 70_000) classes.set(qtype, c);
  }
  return c;
}

export function isNullQtype(qtype: string): boolean {
  return classify(qtype).isNull;
}

/** Not a type clients legitimately ask: KEY (dns2tcp), private-use TYPE65280-65534 (iodine), obsolete MD/MB/WKS/A6... */
export function isRareQtype(qtype: string): boolean {
  return classify(qtype).rare;
}

/** TXT/NULL/KEY/MX/CNAME/SRV/...: qtypes a tunnel uses to get data back. Rare types count too. */
export function isDataQtype(qtype: string): boolean {
  return classify(qtype).data;
}
