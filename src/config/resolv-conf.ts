// Default upstreams: the nameservers of /etc/resolv.conf, as the system resolver would use them.
import { readFileSync } from 'node:fs';
import { parseHostPort, type HostPort } from './host-port.js';

export function resolvConfNameservers(path = '/etc/resolv.conf'): HostPort[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const servers: HostPort[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    const server = match ? parseHostPort(match[1] ?? '', 53) : null;
    if (server) servers.push(server);
  }
  return servers;
}
