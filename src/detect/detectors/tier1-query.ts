// tier1-query: a tier-1 (zero-egress) agent has no legitimate reason to resolve anything.
import type { Detector } from '../detector.js';

export const tier1Query: Detector = {
  id: 'tier1-query',
  perQuery: true,
  observe(ctx) {
    if (ctx.event.tier !== 1) return null;
    return {
      severity: ctx.forwarded ? 'critical' : 'high',
      score: ctx.forwarded ? 100 : 90,
      features: { tier: 1, decision: ctx.event.decision, qtype: ctx.event.qtype },
    };
  },
};
