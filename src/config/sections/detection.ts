// detection: the tunnelling/exfiltration engine behind the event queue; every threshold has its default here.
import { z } from 'zod';

const count = z.number().int().positive();
const seconds = z.number().int().positive();
const bytes = z.number().int().positive();
const ratio = z.number().min(0).max(1);
const severity = z.enum(['low', 'medium', 'high', 'critical']);
const suffix = z
  .string()
  .regex(/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/, 'a lower-case domain suffix such as "sophosxl.net"');

/** Defaults are documented with their source in src/detect/README.md. */
export const DEFAULT_TRUSTED_ENCODERS: readonly string[] = [
  // DNSBL/URIBL/reputation zones: they encode an IP, a domain or a hash in the name by design
  'spamhaus.org',
  'spamhaus.net',
  'spamcop.net',
  'sorbs.net',
  'barracudacentral.org',
  'surbl.org',
  'uribl.com',
  'mailspike.net',
  'dnswl.org',
  'abuseat.org',
  'senderscore.com',
  'junkemailfilter.com',
  'spameatingmonkey.net',
  'manitu.net',
  'surriel.com',
  'cymru.com',
  'senderbase.org',
  'uceprotect.net',
  'dronebl.org',
  'blocklist.de',
  'interserver.net',
  'gbudb.net',
  's5h.net',
  'nordspam.com',
  '0spam.org',
  // AV/EDR cloud reputation lookups (file hashes, URLs)
  'sophosxl.net',
  'avqs.mcafee.com',
  'avts.mcafee.com',
  'gti.mcafee.com',
  'e5.sk',
  'ff.avast.com',
];

/** Zones answered inside the organisation (or never outside it): a query there cannot reach an attacker. */
export const DEFAULT_INTERNAL_ZONES: readonly string[] = [
  'cluster.local',
  'local',
  'localhost',
  'localdomain',
  'home.arpa',
  'internal',
  'intranet',
  'private',
  'corp',
  'home',
  'lan',
];

const ruleToggle = (describe: string) => z.boolean().default(true).describe(describe);

export const detectionSection = z
  .object({
    enabled: z.boolean().default(true).describe('run the detection engine behind the event queue'),
    trustedEncoders: z
      .array(suffix)
      .default([...DEFAULT_TRUSTED_ENCODERS])
      .describe(
        'suffixes whose names encode data by design (DNSBL, AV reputation); volume and lexical rules skip them',
      ),
    extraTrustedEncoders: z
      .array(suffix)
      .default([])
      .describe('added to trustedEncoders, so a site can extend the defaults without repeating them'),
    internalZones: z
      .array(suffix)
      .default([...DEFAULT_INTERNAL_ZONES])
      .describe(
        'zones answered internally (kube-dns, mDNS, home.arpa); search-list expansions under them are ignored',
      ),
    searchDomains: z
      .array(suffix)
      .default([])
      .describe(
        'public search domains of the fleet (e.g. "corp.example.com"): "<fqdn>.<search>" is a resolver expansion, not a subdomain',
      ),
    alerts: z
      .object({
        suppressionWindowSeconds: seconds
          .default(3600)
          .describe(
            'a finding for the same (agent, base domain, rule) within this time updates the open alert',
          ),
        maxSamples: count.max(50).default(5).describe('sample query names kept per alert'),
        maxOpen: count
          .default(20_000)
          .describe('open alerts kept in memory for dedupe; the least recently updated are dropped first'),
        mutesRefreshSeconds: seconds
          .default(5)
          .describe('how often the server re-reads mutes written by `dnsward alerts mute`'),
      })
      .strict()
      .default({}),
    state: z
      .object({
        maxKeys: count
          .default(20_000)
          .describe('(agent, base domain) windows kept; least recently used are evicted beyond this'),
        maxAgents: count.default(10_000).describe('per-agent rate windows kept'),
        maxDomains: count.default(100_000).describe('fleet-wide per-base-domain aggregates kept'),
        maxRecentNames: count
          .default(200_000)
          .describe('recently seen (key, subdomain) pairs that decide "new unique subdomain"'),
        recentNameTtlSeconds: seconds
          .default(6 * 3600)
          .describe('a subdomain seen again after this long counts as new again'),
        idleExpirySeconds: seconds.default(3600).describe('windows idle this long are dropped'),
        noveltyWarmupSeconds: seconds
          .default(3600)
          .describe('"never-seen base domain" contributes only after the engine has observed this long'),
      })
      .strict()
      .default({}),
    rules: z
      .object({
        'tier1-query': z
          .object({ enabled: ruleToggle('any query from a tier-1 (zero-egress) agent') })
          .strict()
          .default({}),
        'doh-bypass': z
          .object({ enabled: ruleToggle('queries for public DNS-over-HTTPS/TLS resolver hostnames') })
          .strict()
          .default({}),
        'null-qtype': z
          .object({ enabled: ruleToggle('qtype NULL (iodine and friends); essentially never legitimate') })
          .strict()
          .default({}),
        'rare-qtype': z
          .object({
            enabled: ruleToggle('obsolete, private-use or unassigned qtypes (KEY, TYPE65399, ...)'),
            highCount: count.default(10).describe('rare-qtype queries to one base domain in 5 min for high'),
          })
          .strict()
          .default({}),
        'non-ldh-label': z
          .object({
            enabled: ruleToggle(
              'label bytes outside letters, digits, "-" and "_" (raw/Base128/base64 "+/=")',
            ),
            highCount: count
              .default(5)
              .describe('queries with non-LDH bytes to one base domain in 5 min for high'),
          })
          .strict()
          .default({}),
        'tunnel-tool-marker': z
          .object({
            enabled: ruleToggle('fixed prefixes of known tunnel tools (dnscat2, Cobalt Strike DNS staging)'),
          })
          .strict()
          .default({}),
        'fake-tld-long-label': z
          .object({
            enabled: ruleToggle('a TLD that does not exist combined with a long label'),
            minLabel: count.default(24).describe('longest label (chars) that counts as long'),
          })
          .strict()
          .default({}),
        'lexical-anomaly': z
          .object({
            enabled: ruleToggle('a single name that looks encoded; never above low'),
            minScore: ratio.default(0.75).describe('per-name lexical score (0..1) that raises a low alert'),
          })
          .strict()
          .default({}),
        'unique-subdomains': z
          .object({
            enabled: ruleToggle('many distinct subdomains of one base domain from one agent'),
            mediumCount: count.default(30).describe('distinct new subdomains in 60 s'),
            highCount: count.default(100).describe('distinct new subdomains in 5 min'),
            minEncodedness: ratio
              .default(0.3)
              .describe('mean lexical score of those subdomains below which the rule stays one level lower'),
          })
          .strict()
          .default({}),
        'encoded-volume': z
          .object({
            enabled: ruleToggle('estimated information carried by new subdomains (charset-weighted bytes)'),
            mediumBytesPerMinute: bytes.default(512),
            highBytesPer5Minutes: bytes.default(4096),
            hourlyMediumBytes: bytes.default(4096).describe('slow but steady: bytes in 1 h for medium'),
            dailyMediumBytes: bytes.default(16_384).describe('slow exfiltration: bytes in 24 h for medium'),
            dailyHighBytes: bytes.default(65_536).describe('slow exfiltration: bytes in 24 h for high'),
            criticalLeakedBytes: bytes
              .default(65_536)
              .describe('forwarded (leaked) bytes in 24 h that make a high alert critical'),
            minEncodedness: ratio
              .default(0.3)
              .describe('mean lexical score below which the rule never exceeds low'),
          })
          .strict()
          .default({}),
        'subdomain-volume': z
          .object({
            enabled: ruleToggle(
              'bytes of new subdomain labels per agent and base domain, whatever their alphabet (word lists too)',
            ),
            mediumBytes: bytes
              .default(200)
              .describe('new-subdomain bytes in 5 min for medium, with minNames'),
            minNames: count.default(8).describe('new subdomains in 5 min that mediumBytes needs'),
            minNameBytes: count
              .default(20)
              .describe('mean new-subdomain length that mediumBytes needs (CDN edge names are shorter)'),
            encodedBytes: bytes
              .default(150)
              .describe('new-subdomain bytes in 5 min for medium when the names read as encoded'),
            encodedNames: count.default(3).describe('new subdomains in 5 min that encodedBytes needs'),
            highBytes: bytes.default(1024).describe('new-subdomain bytes in 5 min for high'),
            minEncodedness: ratio
              .default(0.45)
              .describe('mean lexical score from which names read as encoded (raises severity, never gates)'),
          })
          .strict()
          .default({}),
        'domain-spread': z
          .object({
            enabled: ruleToggle(
              'one agent spreading long new names over many registrable domains it is not allowed to reach',
            ),
            minLabelBytes: count.default(16).describe('subdomain length that counts a name as carrying data'),
            mediumDomains: count.default(4).describe('distinct such domains in 5 min for medium'),
            mediumBytes: bytes.default(150).describe('bytes of those names in 5 min for medium'),
            highDomains: count.default(6).describe('distinct such domains in 5 min for high'),
            highBytes: bytes.default(600).describe('bytes of those names in 5 min for high'),
            minEncodedness: ratio
              .default(0.45)
              .describe('mean lexical score of those names needed (word-like spreads are ordinary browsing)'),
          })
          .strict()
          .default({}),
        beacon: z
          .object({
            enabled: ruleToggle('a periodic series of new names with a stable part to one base domain (C2)'),
            lowCount: count.default(6).describe('regularly spaced new names for low'),
            mediumCount: count.default(8).describe('regularly spaced new names for medium (it persists)'),
            maxJitter: ratio
              .default(0.2)
              .describe('largest coefficient of variation of the intervals that still counts as periodic'),
            minIntervalSeconds: z
              .number()
              .positive()
              .default(1)
              .describe('faster series are bursts, not beacons'),
            maxIntervalSeconds: seconds.default(900),
          })
          .strict()
          .default({}),
        'txt-null-burst': z
          .object({
            enabled: ruleToggle('TXT/NULL/KEY/MX/CNAME/... share and rate to one base domain'),
            mediumCount: count.default(30).describe('such queries (distinct names) in 60 s'),
            highCount: count.default(100).describe('such queries (distinct names) in 5 min'),
            minShare: ratio.default(0.5).describe('share of the base domain queries in 5 min'),
          })
          .strict()
          .default({}),
        'nxdomain-ratio': z
          .object({
            enabled: ruleToggle('most answers for one base domain are NXDOMAIN over many distinct names'),
            minCount: count.default(30).describe('NXDOMAIN answers in 5 min'),
            minRatio: ratio.default(0.8),
            minEncodedness: ratio
              .default(0.3)
              .describe('mean lexical score needed: DNSBL misses and typo bursts are NXDOMAIN too'),
          })
          .strict()
          .default({}),
        'rate-limited': z
          .object({
            enabled: ruleToggle('an agent keeps hitting its rate limit (a flood, or a tunnel pushing data)'),
            mediumPerMinute: count.default(60).describe('rate-limited queries in the last minute for medium'),
            highPerMinute: count.default(600).describe('rate-limited queries in the last minute for high'),
          })
          .strict()
          .default({}),
        'rate-spike': z
          .object({
            enabled: ruleToggle('an agent suddenly queries far above its own baseline'),
            minPerMinute: count.default(600).describe('never fires below this many queries per minute'),
            factor: z.number().positive().default(10).describe('times the agent baseline'),
            mediumPerMinute: count
              .default(3000)
              .describe('a spike at or above this rate is medium, below it low'),
            warmupMinutes: count.default(10).describe('minutes of history before a baseline is trusted'),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    lowSeverityFloor: severity
      .default('low')
      .describe('findings below this severity are not stored (set "medium" to drop low alerts)'),
  })
  .strict()
  .default({});

export type DetectionConfig = z.output<typeof detectionSection>;
export type DetectionConfigInput = z.input<typeof detectionSection>;
