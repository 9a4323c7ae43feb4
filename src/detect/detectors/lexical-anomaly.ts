// lexical-anomaly: one new subdomain that reads as encoded data. Never above low: CDNs and hashes look the same.
import { round, type Detector } from '../detector.js';

export const lexicalAnomaly: Detector = {
  id: 'lexical-anomaly',
  perQuery: true,
  observe(ctx) {
    if (ctx.key === null || !ctx.isNewSubdomain) return null;
    const f = ctx.lexical();
    if (f.score < ctx.rules['lexical-anomaly'].minScore) return null;
    return {
      severity: 'low',
      score: round(f.score * 40, 1),
      features: {
        lexicalScore: round(f.score),
        longestLabel: f.longestLabel,
        subdomainLength: f.subLength,
        charset: f.charset,
        entropyRatio: round(f.entropyRatio),
        bigramBits: round(f.bigramBits),
        encodedRun: f.encodedRun,
      },
    };
  },
};
