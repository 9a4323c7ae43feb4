// beacon: new names with a stable part to one base domain at regular intervals (command-and-control polling).
import type { Severity } from '../../model/alert.js';
import { round, type Detector } from '../detector.js';

/** RITA-style: a beacon is told by the regularity of its arrivals, not by what its names look like. */
export const beacon: Detector = {
  id: 'beacon',
  observe(ctx) {
    const track = ctx.key?.beacon;
    if (track === undefined || track === null || !ctx.isNewSubdomain) return null;
    const rule = ctx.rules.beacon;
    const count = track.times.length;
    if (count < rule.lowCount) return null;
    const regular = track.regularity();
    if (regular === null || regular.cv > rule.maxJitter) return null;
    const seconds = regular.meanMs / 1000;
    if (seconds < rule.minIntervalSeconds || seconds > rule.maxIntervalSeconds) return null;
    const severity: Severity = count >= rule.mediumCount ? 'medium' : 'low';
    return {
      severity,
      score: Math.min(100, round(35 + 3 * count + 20 * (1 - regular.cv / rule.maxJitter), 1)),
      features: { periodicNames: count, intervalSeconds: round(seconds, 1), jitter: round(regular.cv) },
    };
  },
};
