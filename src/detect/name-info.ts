// Classifies a query name: registrable domain, the subdomain left of it, and the namespace it lives in.
import { BaseDomainResolver, type TldStatus } from '../lib/base-domain.js';
import { Lru } from '../lib/lru.js';
import { isLdhCode, parseName, type ParsedName } from './name.js';
import { SeenFilter } from '../lib/seen-filter.js';

/**
 * - public: an ordinary name under a real TLD; every rule applies.
 * - unknown-tld: the TLD is in no PSL section (pirate.sea, dnscat direct mode); every rule applies.
 * - reverse: a well-formed in-addr.arpa / ip6.arpa PTR name (72 chars by design).
 * - trusted: under a trusted-encoder suffix (DNSBL, AV reputation): data in the name is their protocol.
 * - internal: under an internal zone (cluster.local, .local mDNS, home.arpa, DNS-SD browse names).
 * - search-expansion: a resolver search-list expansion of another FQDN ("api.openai.com.corp.example.com").
 * - single-label: no dot at all (Chrome's random probes, wpad, localhost).
 * - root: the root name.
 * Only public and unknown-tld feed the volume windows and lexical scoring; hard markers look at all.
 */
export type NameKind =
  | 'public'
  | 'unknown-tld'
  | 'reverse'
  | 'trusted'
  | 'internal'
  | 'search-expansion'
  | 'single-label'
  | 'root';

/** Base-domain bucket for names whose TLD is itself data (dnscat2 direct mode): one alert, not one per query. */
export const INVALID_TLD_BASE = '(invalid-tld)';

export interface NameInfo extends ParsedName {
  readonly qname: string;
  readonly kind: NameKind;
  /** Registrable domain, or INVALID_TLD_BASE. */
  readonly base: string;
  /** Labels left of `base` (decoded bytes), the part lexical features look at. */
  readonly subLabels: readonly string[];
  readonly tld: string;
  readonly tldStatus: TldStatus | 'none';
  /**
   * The subdomain is a lookup key with a known shape rather than free data: a reversed IPv4/IPv6 address
   * (DNSBL, reputation, Team Cymru style) or an embedded FQDN (DBL/URIBL lookups, search-list expansions,
   * Akamai `www.example.com.edgekey.net`). Set only for public names; the engine still weighs lexical content.
   */
  readonly shape: 'free' | 'ip-lookup' | 'embedded-fqdn';
}

export interface NameAnalyzerOptions {
  readonly trustedEncoders: readonly string[];
  readonly internalZones: readonly string[];
  readonly searchDomains: readonly string[];
}

/** DNS-SD browse/registration domain queries (RFC 6763 section 11): b, db, r, dr, lb + `_dns-sd._udp`. */
const DNS_SD_BROWSE = new Set(['b', 'db', 'r', 'dr', 'lb']);
const MAX_SUFFIX_LABELS = 6;

export class NameAnalyzer {
  private readonly trusted: ZoneSet;
  private readonly internal: ZoneSet;
  private readonly search: ZoneSet;
  readonly domains = new BaseDomainResolver();
  /** Most queries repeat a name; a tunnel's never do, so a name is cached from its second sighting. */
  private readonly cache = new Lru<string, NameInfo>(20_000);
  private readonly seen = new SeenFilter();

  constructor(options: NameAnalyzerOptions) {
    this.trusted = new ZoneSet(options.trustedEncoders);
    this.internal = new ZoneSet(options.internalZones);
    this.search = new ZoneSet(options.searchDomains);
  }

  analyze(qname: string): NameInfo {
    let info = this.cache.get(qname);
    if (info === undefined) {
      info = this.classify(qname);
      if (this.seen.seenBefore(qname)) this.cache.set(qname, info);
    }
    return info;
  }

  private classify(qname: string): NameInfo {
    const parsed = parseName(qname);
    const { labels } = parsed;
    const n = labels.length;
    if (n === 0) return this.info(qname, parsed, 'root', '', [], '', 'none');
    const tld = labels[n - 1] ?? '';

    // the clean tail: trailing labels that are plain LDH, which is all the PSL can speak about
    let clean = 0;
    while (clean < n && clean < MAX_SUFFIX_LABELS && isCleanLabel(labels[n - 1 - clean] ?? '')) clean++;
    if (clean === 0) return this.info(qname, parsed, 'unknown-tld', INVALID_TLD_BASE, labels, tld, 'unknown');

    if (n === 1) {
      const base = tld.length > 15 ? INVALID_TLD_BASE : tld;
      return this.info(qname, parsed, 'single-label', base, [], tld, 'unknown');
    }

    const tail = labels.slice(n - clean).join('.');
    const parts = this.domains.resolve(tail);
    // "api\.example.com": the registrable label holds escaped bytes, so the clean tail is a bare public suffix;
    // grouping under "com" would key alerts (and a domain quarantine) on the whole TLD
    if (clean < n && parts.base === parts.publicSuffix) {
      return this.info(
        qname,
        parsed,
        'public',
        INVALID_TLD_BASE,
        labels.slice(0, n - clean),
        tld,
        parts.tldStatus,
      );
    }
    const baseLabels = parts.base.split('.').length;
    const subLabels = labels.slice(0, n - baseLabels);

    if (parts.tldStatus === 'unknown') {
      const zone = this.internal.match(labels);
      if (zone > 0) return this.info(qname, parsed, 'internal', parts.base, subLabels, tld, 'unknown');
      // a TLD that is itself data (hex, digits, very long) says nothing about ownership
      if (tld.length > 15 || /\d/.test(tld)) {
        return this.info(
          qname,
          parsed,
          'unknown-tld',
          INVALID_TLD_BASE,
          labels.slice(0, n - 1),
          tld,
          'unknown',
        );
      }
      // "api.openai.com.mycorp": a search-list expansion under a private pseudo-TLD; it cannot reach the Internet
      if (n >= 3 && this.domains.isIcannTld(labels[n - 2] ?? '')) {
        return this.info(qname, parsed, 'search-expansion', parts.base, subLabels, tld, 'unknown');
      }
      return this.info(qname, parsed, 'unknown-tld', parts.base, subLabels, tld, 'unknown');
    }

    if (isReverse(labels))
      return this.info(qname, parsed, 'reverse', parts.base, subLabels, tld, parts.tldStatus);
    if (this.trusted.match(labels) > 0) {
      return this.info(qname, parsed, 'trusted', parts.base, subLabels, tld, parts.tldStatus);
    }
    if (this.internal.match(labels) > 0 || isDnsSdBrowse(labels)) {
      return this.info(qname, parsed, 'internal', parts.base, subLabels, tld, parts.tldStatus);
    }
    const searchLabels = this.search.match(labels);
    if (
      searchLabels > 0 &&
      n - searchLabels >= 2 &&
      this.domains.isIcannTld(labels[n - searchLabels - 1] ?? '')
    ) {
      return this.info(qname, parsed, 'search-expansion', parts.base, subLabels, tld, parts.tldStatus);
    }
    return this.info(qname, parsed, 'public', parts.base, subLabels, tld, parts.tldStatus);
  }

  private info(
    qname: string,
    parsed: ParsedName,
    kind: NameKind,
    base: string,
    subLabels: readonly string[],
    tld: string,
    tldStatus: TldStatus | 'none',
  ): NameInfo {
    return {
      labels: parsed.labels,
      nonLdh: parsed.nonLdh,
      raw: parsed.raw,
      longestLabel: parsed.longestLabel,
      wireLength: parsed.wireLength,
      qname,
      kind,
      base,
      subLabels,
      tld,
      tldStatus,
      shape: kind === 'public' || kind === 'unknown-tld' ? this.shapeOf(subLabels) : 'free',
    };
  }

  private shapeOf(sub: readonly string[]): NameInfo['shape'] {
    if (sub.length >= 4 && sub.slice(0, 4).every(isOctet)) return 'ip-lookup';
    if (sub.length >= 32 && sub.slice(0, 32).every((l) => /^[0-9a-f]$/.test(l))) return 'ip-lookup';
    // an ICANN TLD label inside the subdomain, at most two labels from its end, with a label before it
    for (let k = 0; k <= 2; k++) {
      const i = sub.length - 1 - k;
      if (i < 1) break;
      if (this.domains.isIcannTld(sub[i] ?? '')) return 'embedded-fqdn';
    }
    return 'free';
  }
}

/** Zone suffixes (trusted encoders, internal zones, search domains), matched against a name's trailing labels. */
class ZoneSet {
  private readonly zones: ReadonlySet<string>;
  /** Every zone and each of its trailing parts ("org", "example.org", ...): a suffix outside it ends the search. */
  private readonly tails = new Set<string>();

  constructor(zones: readonly string[]) {
    this.zones = new Set(zones);
    for (const zone of zones) {
      const parts = zone.split('.');
      for (let k = 1; k <= parts.length; k++) this.tails.add(parts.slice(-k).join('.'));
    }
  }

  /** Number of trailing labels forming the longest zone found (0 = none). */
  match(labels: readonly string[]): number {
    const n = labels.length;
    let suffix = '';
    let best = 0;
    for (let k = 1; k <= Math.min(n, MAX_SUFFIX_LABELS); k++) {
      suffix = k === 1 ? (labels[n - 1] ?? '') : `${labels[n - k] ?? ''}.${suffix}`;
      if (!this.tails.has(suffix)) break;
      if (this.zones.has(suffix)) best = k;
    }
    return best;
  }
}

function isOctet(label: string): boolean {
  return /^(0|[1-9]\d{0,2})$/.test(label) && Number(label) <= 255;
}

function isCleanLabel(label: string): boolean {
  if (label.length === 0 || label.length > 63) return false;
  for (let i = 0; i < label.length; i++) if (!isLdhCode(label.charCodeAt(i))) return false;
  return true;
}

/** A well-formed PTR name: decimal octets under in-addr.arpa, single hex nibbles under ip6.arpa. */
function isReverse(labels: readonly string[]): boolean {
  const n = labels.length;
  if (n < 3 || labels[n - 1] !== 'arpa') return false;
  const zone = labels[n - 2];
  const sub = labels.slice(0, n - 2);
  if (zone === 'in-addr') return sub.length <= 4 && sub.every(isOctet);
  if (zone === 'ip6') return sub.length <= 32 && sub.every((l) => /^[0-9a-f]$/.test(l));
  return false;
}

function isDnsSdBrowse(labels: readonly string[]): boolean {
  return (
    labels.length >= 3 &&
    DNS_SD_BROWSE.has(labels[0] ?? '') &&
    labels[1] === '_dns-sd' &&
    labels[2] === '_udp'
  );
}
