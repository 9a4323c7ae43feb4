// rare-qtype: obsolete, private-use or unassigned qtypes (KEY for dns2tcp, TYPE65399 for iodine's PRIVATE mode).
import type { Detector } from '../detector.js';
import { isRareQtype } from '../qtypes.js';
import { L } from '../windows.js';

export const rareQtype: Detector = {
  id: 'rare-qtype',
  perQuery: true,
  observe(ctx) {
    if (!isRareQtype(ctx.event.qtype)) return null;
    const inFiveMinutes = ctx.key?.long.sum(ctx.event.ts, L.rare) ?? 1;
    const high = inFiveMinutes >= ctx.rules['rare-qtype'].highCount;
    return {
      severity: high ? 'high' : 'medium',
      score: high ? 75 : 55,
      features: { qtype: ctx.event.qtype, rareQueries5m: inFiveMinutes },
    };
  },
};
