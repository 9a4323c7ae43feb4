// unique-subdomains: the primary tunnel signal: one agent asking for many distinct names under one domain.
import type { Severity } from '../../model/alert.js';
import { corroborated, round, type Detector } from '../detector.js';
import { L, S } from '../windows.js';

/** Word-like (uncorroborated) names need this many times highCount in 5 min to reach medium. */
const UNCORROBORATED_FACTOR = 3;

export const uniqueSubdomains: Detector = {
  id: 'unique-subdomains',
  observe(ctx) {
    const { key } = ctx;
    if (key === null || !ctx.isNewSubdomain) return null;
    const rule = ctx.rules['unique-subdomains'];
    const ts = ctx.event.ts;
    const perMinute = key.short.sum(ts, S.uniq);
    const perFive = key.long.sum(ts, L.uniq);
    const encoded = corroborated(key, ts, rule.minEncodedness);
    let severity: Severity;
    if (encoded) {
      if (perFive >= rule.highCount) severity = 'high';
      else if (perMinute >= rule.mediumCount) severity = 'medium';
      else return null;
    } else if (perFive >= rule.highCount * UNCORROBORATED_FACTOR) {
      // word-like names, but a sustained flood of them (a dictionary-encoded tunnel or a runaway crawler)
      severity = 'medium';
    } else if (perMinute >= rule.mediumCount) {
      severity = 'low';
    } else {
      return null;
    }
    return {
      severity,
      score: Math.min(100, round(40 + perFive / 5 + (encoded ? 20 : 0), 1)),
      features: {
        uniqueSubdomains1m: perMinute,
        uniqueSubdomains5m: perFive,
        meanLexical5m: round(key.meanLexical(ts)),
        uniqueRatio5m: round(key.uniqueRatio(ts)),
      },
    };
  },
};
