// Evidence in a capture of DNS that went around dnsward (AG-404 4.3/4.6): queries to other resolvers,
// DNS over TLS (TCP 853), TLS ClientHellos naming a DNS-over-HTTPS service. Capture-only signals, so they
// are raised here rather than by the engine (which sees only what reached dnsward).
import type { Severity } from '../model/alert.js';
import { isDohResolver } from '../lib/doh-resolvers.js';

export type BypassRule = 'external-resolver' | 'dot-bypass' | 'doh-sni';

const SEVERITY: Record<BypassRule, Severity> = {
  'external-resolver': 'medium',
  'dot-bypass': 'high',
  'doh-sni': 'high',
};

export interface BypassAlert {
  readonly rule: BypassRule;
  readonly severity: Severity;
  readonly clientIp: string;
  /** The resolver address, or the SNI for DoH. */
  readonly target: string;
  firstSeenMs: number;
  lastSeenMs: number;
  count: number;
}

/** One alert per (rule, client, target), in first-seen order. */
export class BypassBook {
  private readonly alerts = new Map<string, BypassAlert>();

  /** A DNS query sent to `server`; `resolvers` are dnsward's own addresses. */
  query(clientIp: string, server: string, resolvers: ReadonlySet<string>, ts: number): void {
    if (!resolvers.has(server)) this.add('external-resolver', clientIp, server, ts);
  }

  tls(kind: 'dot' | 'tls-sni', clientIp: string, server: string, sni: string | undefined, ts: number): void {
    if (kind === 'dot') this.add('dot-bypass', clientIp, server, ts);
    else if (sni !== undefined && isDohResolver(sni.toLowerCase()))
      this.add('doh-sni', clientIp, sni.toLowerCase(), ts);
  }

  all(): readonly BypassAlert[] {
    return [...this.alerts.values()];
  }

  private add(rule: BypassRule, clientIp: string, target: string, ts: number): void {
    const key = `${rule}|${clientIp}|${target}`;
    const known = this.alerts.get(key);
    if (known) {
      known.count++;
      known.lastSeenMs = Math.max(known.lastSeenMs, ts);
      return;
    }
    this.alerts.set(key, {
      rule,
      severity: SEVERITY[rule],
      clientIp,
      target,
      firstSeenMs: ts,
      lastSeenMs: ts,
      count: 1,
    });
  }
}
