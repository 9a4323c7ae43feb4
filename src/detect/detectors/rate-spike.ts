// rate-spike: an agent querying far above its own learned per-minute baseline (alerts per agent, base "*").
import { round, type Detector } from '../detector.js';

export const rateSpike: Detector = {
  id: 'rate-spike',
  observe(ctx) {
    const rule = ctx.rules['rate-spike'];
    const { agent } = ctx;
    if (agent.minutesObserved < rule.warmupMinutes) return null;
    const perMinute = agent.rate.sum(ctx.event.ts, 0);
    if (perMinute < rule.minPerMinute || perMinute < rule.factor * Math.max(1, agent.baselinePerMinute))
      return null;
    return {
      severity: perMinute >= rule.mediumPerMinute ? 'medium' : 'low',
      score: Math.min(100, round(20 + perMinute / 100, 1)),
      features: { queries1m: perMinute, baselinePerMinute: round(agent.baselinePerMinute, 1) },
      baseDomain: '*',
    };
  },
};
