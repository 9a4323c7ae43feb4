// non-ldh-label: bytes outside letters/digits/"-"/"_" in a label: raw 8-bit or Base128 (iodine), base64 "+/=" (dns2tcp, DNSteal).
import type { Detector } from '../detector.js';
import { L } from '../windows.js';

/** Raw (non-printable) bytes in one name that no hostname or typo produces. */
const RAW_BYTES_HIGH = 4;

export const nonLdhLabel: Detector = {
  id: 'non-ldh-label',
  perQuery: true,
  observe(ctx) {
    const { name } = ctx;
    if (name.nonLdh === 0 || name.kind === 'internal') return null;
    const inFiveMinutes = ctx.key?.long.sum(ctx.event.ts, L.nonLdh) ?? 1;
    const high = name.raw >= RAW_BYTES_HIGH || inFiveMinutes >= ctx.rules['non-ldh-label'].highCount;
    return {
      severity: high ? 'high' : 'medium',
      score: high ? 85 : 60,
      features: { nonLdhBytes: name.nonLdh, rawBytes: name.raw, nonLdhQueries5m: inFiveMinutes },
    };
  },
};
