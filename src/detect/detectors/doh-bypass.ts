// doh-bypass: resolving a public DNS-over-HTTPS/TLS resolver is an attempt to leave dnsward's view.
import { isDohResolver } from '../../lib/doh-resolvers.js';
import type { Detector } from '../detector.js';

export const dohBypass: Detector = {
  id: 'doh-bypass',
  perQuery: true,
  observe(ctx) {
    if (!isDohResolver(ctx.event.qname)) return null;
    return {
      severity: ctx.forwarded ? 'high' : 'medium',
      score: ctx.forwarded ? 80 : 60,
      features: { resolver: ctx.event.qname, decision: ctx.event.decision },
    };
  },
};
