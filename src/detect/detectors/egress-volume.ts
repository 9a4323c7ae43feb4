// egress-volume: an agent's bytes out in one bucket far above its own baseline (the guide's volume anomaly:
// mean + 3σ of earlier buckets, an EWMA per agent), and above an absolute floor so quiet agents never fire.
import { Lru } from '../../lib/lru.js';
import type { ConnectionDetector } from '../connection-detector.js';
import { round } from '../detector.js';

export interface EgressVolumeSettings {
  readonly windowSeconds: number;
  readonly minBytes: number;
  readonly sigmas: number;
  readonly warmupBuckets: number;
}

/** EWMA weight of the newest bucket (about a 20-bucket memory). */
const ALPHA = 0.05;
const MAX_AGENTS = 50_000;
/** Empty buckets folded into the baseline after a quiet spell, at most (later ones change it little). */
const MAX_GAP_BUCKETS = 100;

interface Baseline {
  bucket: number;
  bytes: number;
  mean: number;
  variance: number;
  buckets: number;
  /** The bucket already alerted on (one hit per bucket). */
  fired: number;
}

export function egressVolume(settings: EgressVolumeSettings): ConnectionDetector {
  const agents = new Lru<string, Baseline>(MAX_AGENTS);
  const bucketMs = settings.windowSeconds * 1000;
  return {
    id: 'egress-volume',
    observe(event) {
      if (event.decision !== 'allowed' || event.bytesOut === 0) return null;
      const bucket = Math.floor(event.ts / bucketMs);
      let b = agents.get(event.agentId);
      if (b === undefined) {
        b = { bucket, bytes: 0, mean: 0, variance: 0, buckets: 0, fired: -1 };
        agents.set(event.agentId, b);
      }
      if (bucket > b.bucket) {
        fold(b, b.bytes);
        for (let gap = Math.min(bucket - b.bucket - 1, MAX_GAP_BUCKETS); gap > 0; gap--) fold(b, 0);
        b.bucket = bucket;
        b.bytes = 0;
      }
      b.bytes += event.bytesOut;
      const threshold = Math.max(settings.minBytes, b.mean + settings.sigmas * Math.sqrt(b.variance));
      if (b.buckets < settings.warmupBuckets || b.bytes < threshold || b.fired === bucket) return null;
      b.fired = bucket;
      return {
        severity: 'medium',
        score: Math.min(90, round(50 + 10 * Math.log2(b.bytes / threshold + 1))),
        baseDomain: '*',
        features: {
          bytesOut: b.bytes,
          baselineMean: Math.round(b.mean),
          baselineSd: Math.round(Math.sqrt(b.variance)),
          windowSeconds: settings.windowSeconds,
          topDst: event.dst,
        },
      };
    },
  };
}

function fold(b: Baseline, bytes: number): void {
  const delta = bytes - b.mean;
  b.mean += ALPHA * delta;
  b.variance = (1 - ALPHA) * (b.variance + ALPHA * delta * delta);
  b.buckets++;
}
