// domain-spread: one agent sending long new names to many registrable domains it is not allowed to reach.
import type { Severity } from '../../model/alert.js';
import { round, type Detector } from '../detector.js';
import { SP } from '../windows.js';

/**
 * Chunks spread over many domains stay below every per-domain threshold; counted per agent they are one
 * channel. One alert per agent (base "*"), naming the domains.
 */
export const domainSpread: Detector = {
  id: 'domain-spread',
  observe(ctx) {
    if (ctx.spreadDomains === 0) return null;
    const rule = ctx.rules['domain-spread'];
    const ts = ctx.event.ts;
    const { spread, spreadDomains } = ctx.agent;
    if (spread === null) return null;
    const names = spread.sum(ts, SP.names);
    const bytes = spread.sum(ts, SP.raw);
    const lexical = names > 0 ? spread.sum(ts, SP.lexSum) / names : 0;
    if (lexical < rule.minEncodedness) return null;
    const domains = ctx.spreadDomains;
    let severity: Severity | null = null;
    if (domains >= rule.highDomains && bytes >= rule.highBytes) severity = 'high';
    else if (domains >= rule.mediumDomains && bytes >= rule.mediumBytes) severity = 'medium';
    if (severity === null) return null;
    return {
      severity,
      score: Math.min(100, round(40 + 5 * domains + (20 * bytes) / rule.highBytes, 1)),
      baseDomain: '*',
      bytes: {
        kind: 'window',
        windowId: ctx.agent.spreadId,
        leaked: ctx.agent.spreadLeaked,
        attempted: ctx.agent.spreadAttempted,
      },
      features: {
        domains5m: domains,
        spreadBytes5m: bytes,
        names5m: names,
        meanLexical5m: round(lexical),
        domainList: spreadDomains
          .slice(0, domains)
          .map((d) => d.base)
          .join(','),
      },
    };
  },
};
