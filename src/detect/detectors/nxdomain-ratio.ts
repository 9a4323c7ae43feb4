// nxdomain-ratio: most upstream answers for one domain are NXDOMAIN across many distinct names (DGA, tunnels without wildcard).
import { corroborated, round, type Detector } from '../detector.js';
import { L } from '../windows.js';

export const nxdomainRatio: Detector = {
  id: 'nxdomain-ratio',
  observe(ctx) {
    const { key } = ctx;
    if (key === null || ctx.event.rcode !== 'NXDOMAIN' || ctx.event.answeredBy === 'policy') return null;
    const rule = ctx.rules['nxdomain-ratio'];
    const ts = ctx.event.ts;
    const nx = key.long.sum(ts, L.nx);
    const answered = key.long.sum(ts, L.answered);
    const unique = key.long.sum(ts, L.uniq);
    if (nx < rule.minCount || unique < rule.minCount || answered === 0 || nx / answered < rule.minRatio)
      return null;
    // DNSBL "not listed" answers and typo bursts are NXDOMAIN too: only encoded-looking names count
    if (!corroborated(key, ts, rule.minEncodedness)) return null;
    return {
      severity: 'medium',
      score: round(40 + (20 * nx) / answered, 1),
      features: {
        nxdomain5m: nx,
        answered5m: answered,
        nxdomainRatio5m: round(nx / answered),
        meanLexical5m: round(key.meanLexical(ts)),
      },
    };
  },
};
