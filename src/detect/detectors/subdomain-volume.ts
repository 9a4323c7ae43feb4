// subdomain-volume: bytes of new subdomain labels per (agent, base domain), whatever alphabet carries them.
import type { Severity } from '../../model/alert.js';
import { round, type Detector } from '../detector.js';
import { L } from '../windows.js';

/**
 * Word lists, mixed case, digits: an encoder can make data look like anything but short. The labels an agent
 * asks for anew are the channel's capacity, so their length is counted as sent; the lexical score only makes
 * the alert come sooner (names that read as encoded) or rise to high, it never holds one back.
 */
export const subdomainVolume: Detector = {
  id: 'subdomain-volume',
  observe(ctx) {
    const { key } = ctx;
    if (key === null || !ctx.isNewSubdomain) return null;
    const rule = ctx.rules['subdomain-volume'];
    const ts = ctx.event.ts;
    const bytes = key.long.sum(ts, L.raw);
    const names = key.long.sum(ts, L.uniq);
    const lexical = key.meanLexical(ts);
    const encoded = lexical >= rule.minEncodedness;
    // many long new names whatever they read like (word chains), or fewer that read as encoded
    const volume = names >= rule.minNames && bytes >= names * rule.minNameBytes;
    let severity: Severity | null = null;
    if (bytes >= rule.highBytes && (encoded || volume)) severity = 'high';
    else if (bytes >= rule.mediumBytes && volume) severity = encoded ? 'high' : 'medium';
    else if (encoded && bytes >= rule.encodedBytes && names >= rule.encodedNames) severity = 'medium';
    if (severity === null) return null;
    return {
      severity,
      score: Math.min(100, round(40 + (40 * bytes) / rule.highBytes + (encoded ? 15 : 0), 1)),
      features: {
        subdomainBytes5m: bytes,
        newSubdomains5m: names,
        meanLexical5m: round(lexical),
      },
    };
  },
};
