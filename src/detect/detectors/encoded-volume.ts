// encoded-volume: estimated information carried in new subdomains (charset-weighted bytes), per minute, 5 min, day.
import type { Severity } from '../../model/alert.js';
import { corroborated, round, type Detector } from '../detector.js';
import { D, L, S } from '../windows.js';

export const encodedVolume: Detector = {
  id: 'encoded-volume',
  observe(ctx) {
    const { key } = ctx;
    if (key === null || !ctx.isNewSubdomain) return null;
    const rule = ctx.rules['encoded-volume'];
    const ts = ctx.event.ts;
    const minute = key.short.sum(ts, S.bytes);
    const five = key.long.sum(ts, L.bytes);
    const hour = key.hour.sum(ts, 0);
    const day = key.day.sum(ts, D.bytes);
    const leakedDay = key.day.sum(ts, D.leaked);
    let severity: Severity | null = null;
    if (five >= rule.highBytesPer5Minutes || day >= rule.dailyHighBytes) severity = 'high';
    else if (
      minute >= rule.mediumBytesPerMinute ||
      hour >= rule.hourlyMediumBytes ||
      day >= rule.dailyMediumBytes
    ) {
      severity = 'medium';
    }
    if (severity === null) return null;
    if (!corroborated(key, ts, rule.minEncodedness)) severity = 'low';
    else if (severity === 'high' && leakedDay >= rule.criticalLeakedBytes) severity = 'critical';
    return {
      severity,
      score: Math.min(
        100,
        round(30 + (20 * five) / rule.highBytesPer5Minutes + (10 * day) / rule.dailyHighBytes, 1),
      ),
      features: {
        bytes1m: round(minute, 0),
        bytes5m: round(five, 0),
        bytes1h: round(hour, 0),
        bytes24h: round(day, 0),
        leaked24h: round(leakedDay, 0),
        meanLexical5m: round(key.meanLexical(ts)),
      },
    };
  },
};
