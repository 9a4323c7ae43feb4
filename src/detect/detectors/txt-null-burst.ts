// txt-null-burst: many distinct TXT/NULL/KEY/MX/CNAME/... names to one domain, dominating its traffic.
import type { Severity } from '../../model/alert.js';
import { round, type Detector } from '../detector.js';
import { isServiceLabel } from '../features.js';
import { isDataQtype } from '../qtypes.js';
import { L, S } from '../windows.js';

export const txtNullBurst: Detector = {
  id: 'txt-null-burst',
  observe(ctx) {
    const { key } = ctx;
    if (key === null || !ctx.isNewSubdomain || !isDataQtype(ctx.event.qtype)) return null;
    if (isServiceLabel(ctx.name.labels[0] ?? '')) return null;
    const rule = ctx.rules['txt-null-burst'];
    const ts = ctx.event.ts;
    const perMinute = key.short.sum(ts, S.dataUniq);
    const perFive = key.long.sum(ts, L.dataUniq);
    const queries = key.long.sum(ts, L.queries);
    const share = queries > 0 ? key.long.sum(ts, L.dataAll) / queries : 0;
    if (share < rule.minShare) return null;
    let severity: Severity;
    if (perFive >= rule.highCount) severity = 'high';
    else if (perMinute >= rule.mediumCount) severity = 'medium';
    else return null;
    return {
      severity,
      score: Math.min(100, round(45 + perFive / 5, 1)),
      features: {
        qtype: ctx.event.qtype,
        dataQtypeNames1m: perMinute,
        dataQtypeNames5m: perFive,
        dataQtypeShare5m: round(share),
      },
    };
  },
};
