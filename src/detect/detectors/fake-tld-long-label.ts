// fake-tld-long-label: a TLD no registry delegates, with a long label: a private root or direct-to-server tunnel.
import type { Detector } from '../detector.js';

export const fakeTldLongLabel: Detector = {
  id: 'fake-tld-long-label',
  perQuery: true,
  observe(ctx) {
    const { name } = ctx;
    // a single label (a bare pod or host name the search list failed on) cannot be delegated: it reaches no one
    if (
      name.tldStatus !== 'unknown' ||
      name.kind === 'internal' ||
      name.kind === 'search-expansion' ||
      name.kind === 'single-label'
    )
      return null;
    if (name.longestLabel < ctx.rules['fake-tld-long-label'].minLabel) return null;
    return {
      severity: 'medium',
      score: 55,
      features: { tld: name.tld.slice(0, 63), longestLabel: name.longestLabel },
    };
  },
};
