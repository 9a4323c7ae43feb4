// direct-ip-egress: a connection to an address no dnsward answer gave this agent (an IP literal, a hard-coded
// address, another resolver, DoT/DoH to an IP): the agent went around DNS, so around the allowlist.
import type { ConnectionDetector } from '../connection-detector.js';

export const directIpEgress: ConnectionDetector = {
  id: 'direct-ip-egress',
  observe(event) {
    if (event.qname !== null) return null;
    return {
      severity: 'high',
      score: event.decision === 'allowed' ? 85 : 75,
      baseDomain: event.dst,
      features: {
        dst: event.dst,
        dstPort: event.dstPort,
        proto: event.proto,
        decision: event.decision,
        bytesOut: event.bytesOut,
      },
    };
  },
};
