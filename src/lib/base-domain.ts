// Registrable domain via tldts with private suffixes (so cloudfront/elb/vercel tenants stay apart), memoised.
import { parse } from 'tldts';
import { Lru } from './lru.js';
import { SeenFilter } from './seen-filter.js';

/** Where the name's top-level domain comes from: the ICANN or private section of the PSL, or nowhere. */
export type TldStatus = 'icann' | 'private' | 'unknown';

export interface DomainParts {
  /** Registrable domain (eTLD+1); the suffix itself when the name is only a suffix. */
  readonly base: string;
  readonly publicSuffix: string;
  readonly tldStatus: TldStatus;
}

const TLDTS_OPTIONS = {
  allowPrivateDomains: true,
  extractHostname: false,
  validateHostname: false,
  detectIp: false,
  mixedInputs: false,
} as const;

/**
 * Memoised PSL lookups keyed by the clean (LDH-only) tail of a name, from its second sighting (unique names
 * would only churn the memo). Not keyed by a shorter suffix: tldts exposes no trie, and a rule can sit below
 * a name that is no rule itself (s3.dualstack.<region>.amazonaws.com), so no suffix decides it provably.
 */
export class BaseDomainResolver {
  private readonly memo: Lru<string, DomainParts>;
  private readonly seen = new SeenFilter();
  private readonly tlds = new Map<string, boolean>();

  constructor(capacity = 50_000) {
    this.memo = new Lru(capacity);
  }

  /** `host` is a lower-case dotted name of LDH labels (no escapes), at least one label. */
  resolve(host: string): DomainParts {
    let parts = this.memo.get(host);
    if (parts === undefined) {
      const result = parse(host, TLDTS_OPTIONS);
      const publicSuffix = result.publicSuffix ?? host;
      const tldStatus: TldStatus =
        result.isIcann === true ? 'icann' : result.isPrivate === true ? 'private' : 'unknown';
      parts = { base: result.domain ?? host, publicSuffix, tldStatus };
      if (this.seen.seenBefore(host)) this.memo.set(host, parts);
    }
    return parts;
  }

  /** True when `label` is a top-level domain in the ICANN section of the PSL (com, org, io, ...). */
  isIcannTld(label: string): boolean {
    let known = this.tlds.get(label);
    if (known === undefined) {
      known = parse(`x.${label}`, TLDTS_OPTIONS).isIcann === true;
      if (this.tlds.size < 10_000) this.tlds.set(label, known);
    }
    return known;
  }
}
