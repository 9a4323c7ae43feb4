// null-qtype: NULL records (RFC 1035 experimental) carry arbitrary bytes; iodine's favourite, never asked by real clients.
import type { Detector } from '../detector.js';
import { isNullQtype } from '../qtypes.js';

export const nullQtype: Detector = {
  id: 'null-qtype',
  perQuery: true,
  observe(ctx) {
    if (!isNullQtype(ctx.event.qtype)) return null;
    return { severity: 'high', score: 85, features: { qtype: 'NULL', nameLength: ctx.event.qname.length } };
  },
};
