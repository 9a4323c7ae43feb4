// Default qtypes per tier when a group lists none: tunnels favour TXT, NULL, KEY and ANY, so low tiers get none of them.
import type { Tier } from '../model/agent.js';

const ADDRESS_LOOKUPS = ['A', 'AAAA', 'CNAME', 'HTTPS', 'SVCB'];
const SERVICE_LOOKUPS = [...ADDRESS_LOOKUPS, 'MX', 'SRV', 'PTR', 'CAA', 'SOA', 'NS', 'DS', 'DNSKEY'];

/** TXT is never a default: a group that needs it (mail, ACME) lists it explicitly. */
export const DEFAULT_QTYPES: Readonly<Record<Tier, readonly string[]>> = {
  1: [],
  2: ADDRESS_LOOKUPS,
  3: SERVICE_LOOKUPS,
  4: SERVICE_LOOKUPS,
};
