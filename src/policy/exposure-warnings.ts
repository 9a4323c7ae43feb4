// Startup warnings for a server reachable beyond loopback while unknown clients are served (an open resolver
// with the default group's allowlist) or while the unauthenticated metrics name every group and allowlist entry.
import type { Config } from '../config/schema.js';
import type { HostPort } from '../config/host-port.js';
import { formatHostPort } from '../config/host-port.js';
import { addressToBigInt } from '../lib/cidr.js';
import type { Policy } from './compile.js';

function isLoopback({ host }: HostPort): boolean {
  const parsed = addressToBigInt(host);
  if (!parsed) return false;
  return parsed.family === 4 ? parsed.value >> 24n === 127n : parsed.value === 1n;
}

export function exposureWarnings(config: Config, policy: Policy): string[] {
  const warnings: string[] = [];
  const open = [...config.listen.udp, ...config.listen.tcp].filter((a) => !isLoopback(a));
  const fallback = policy.groups.get(config.identity.defaultGroup);
  const servesUnknown = fallback !== undefined && (fallback.mode === 'audit' || fallback.entries.length > 0);
  if (open.length > 0 && servesUnknown) {
    warnings.push(
      `listening on ${open.map(formatHostPort).join(', ')} (not loopback) while unknown clients fall into group ` +
        `"${config.identity.defaultGroup}" (${fallback.mode}, ${fallback.entries.length} allowlist entries): ` +
        'anyone who reaches this address is served; give identity.defaultGroup a deny-all group',
    );
  }
  const metrics = config.metrics.listen;
  if (metrics !== null && !isLoopback(metrics)) {
    warnings.push(
      `metrics on ${formatHostPort(metrics)} (not loopback): /metrics has no authentication and names every ` +
        'group and allowlist entry; restrict it (NetworkPolicy, firewall) to the scraper and the kubelet',
    );
  }
  return warnings;
}
