// tunnel-tool-marker: fixed strings that tunnel tools put in every name (dnscat2 prefix, Cobalt Strike DNS staging).
import type { Detector } from '../detector.js';

/** Each marker: a name, and a test on the whole lower-cased qname. Sources in README.md. */
const MARKERS: readonly (readonly [string, RegExp])[] = [
  ['dnscat2', /^dnscat\./],
  ['cobalt-strike-stage', /^[a-z]aa\.stage\.|\.stage\.123456\./],
  ['cobalt-strike-post', /^post\.1[0-9a-f]*\.[0-9a-f]+\./],
];
/** Every marker in one pattern: one regex run per query; which marker it was is only asked on a match. */
const ANY_MARKER = new RegExp(MARKERS.map(([, pattern]) => pattern.source).join('|'));

export const tunnelToolMarker: Detector = {
  id: 'tunnel-tool-marker',
  perQuery: true,
  observe(ctx) {
    const qname = ctx.event.qname;
    if (!ANY_MARKER.test(qname)) return null;
    for (const [marker, pattern] of MARKERS) {
      if (pattern.test(qname)) return { severity: 'high', score: 90, features: { marker } };
    }
    return null;
  },
};
