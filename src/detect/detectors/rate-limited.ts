// rate-limited: an agent keeps hitting its rate limit — sustained, not a burst (alerts per agent, base "*").
import type { Detector } from '../detector.js';

export const rateLimited: Detector = {
  id: 'rate-limited',
  observe(ctx) {
    if (ctx.event.decision !== 'rate-limited') return null;
    const rule = ctx.rules['rate-limited'];
    const perMinute = ctx.agent.limited.sum(ctx.event.ts, 0);
    if (perMinute < rule.mediumPerMinute) return null;
    return {
      severity: perMinute >= rule.highPerMinute ? 'high' : 'medium',
      score: Math.min(100, 40 + perMinute / 20),
      features: { rateLimited1m: perMinute, reason: ctx.event.reason },
      baseDomain: '*',
    };
  },
};
