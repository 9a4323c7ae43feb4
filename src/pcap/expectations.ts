// `replay --expect`: a labels file (the format of shared/fixtures/pcap/labels.json) says what must and must not alert.
import { readFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { z } from 'zod';
import { DnswardError } from '../errors.js';
import { severityRank, type Severity } from '../model/alert.js';
import type { ReplayAlert, ReplayReport } from './replay.js';
import type { BypassRule } from './bypass-evidence.js';

const severity = z.enum(['low', 'medium', 'high', 'critical']);

const labelsSchema = z.object({
  files: z.record(
    z.object({
      malicious: z
        .array(
          z
            .object({
              zone: z.string(),
              registrable_domain: z.string(),
              min_severity: severity.optional(),
              /** Listed for the record, not required to alert (e.g. one-query tools no rule should catch alone). */
              stretch: z.boolean().optional(),
              tool: z.string().optional(),
              /** The tunnel's clients: a per-agent alert (base "*") on one of them is about the tunnel. */
              client_addresses: z.array(z.string()).optional(),
            })
            .passthrough(),
        )
        .default([]),
      benign: z.array(z.object({ domain: z.string() }).passthrough()).default([]),
    }),
  ),
});

type Labels = z.output<typeof labelsSchema>;
type FileLabels = Labels['files'][string];

const BYPASS_RULES: ReadonlySet<string> = new Set<BypassRule>(['external-resolver', 'dot-bypass', 'doh-sni']);

export interface ExpectationResult {
  readonly ok: boolean;
  /** One line per check: "ok …" or "FAIL …", readable as a diff of expected vs got. */
  readonly lines: readonly string[];
}

export function loadLabels(path: string): { labels: Labels; dir: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DnswardError('DNSWARD_ERR_USAGE', `${path}: cannot read labels: ${(error as Error).message}`);
  }
  const parsed = labelsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DnswardError(
      'DNSWARD_ERR_USAGE',
      `${path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return { labels: parsed.data, dir: dirname(resolve(path)) };
}

/**
 * A malicious entry passes when an alert of its file, for its registrable domain ("*": any), reaches
 * min_severity (default medium). Any other alert above low fails, unless every query of the file is malicious
 * ("*"). Bypass evidence (other resolvers, DoT, DoH SNI) is reported but not judged against DNS labels.
 */
export function checkExpectations(
  report: ReplayReport,
  replayed: readonly string[],
  labels: Labels,
  dir: string,
): ExpectationResult {
  const lines: string[] = [];
  let ok = true;
  replayed.forEach((path, index) => {
    const file = report.files[index]?.file ?? path;
    const entry = labelsFor(path, labels, dir);
    if (!entry) {
      lines.push(`skip ${file}: no labels`);
      return;
    }
    const alerts = report.alerts.filter((a) => a.file === file && !BYPASS_RULES.has(a.rule));
    const anyDomain = entry.malicious.some((m) => m.registrable_domain === '*');
    for (const m of entry.malicious) {
      const want: Severity = m.min_severity ?? 'medium';
      const hits = alerts.filter(
        (a) => m.registrable_domain === '*' || sameDomain(a.baseDomain, m.registrable_domain),
      );
      const best = strongest(hits);
      const passed = best !== undefined && severityRank(best.severity) >= severityRank(want);
      const got = best ? `${best.severity} ${best.rule}` : 'no alert';
      if (passed)
        lines.push(`ok   ${file}: ${m.registrable_domain} (${m.tool ?? m.zone}) >= ${want}: ${got}`);
      else if (m.stretch)
        lines.push(`note ${file}: ${m.registrable_domain} (stretch goal) expected >= ${want}, got ${got}`);
      else {
        ok = false;
        lines.push(
          `FAIL ${file}: ${m.registrable_domain} (${m.tool ?? m.zone}) expected an alert >= ${want}, got ${got}`,
        );
      }
    }
    if (anyDomain) return;
    // per-agent rules (rate-limited, rate-spike, domain-spread) alert on base "*": about the tunnel when the agent is its client
    const tunnelClients = new Set(entry.malicious.flatMap((m) => m.client_addresses ?? []));
    const falseAlerts = alerts.filter(
      (a) =>
        severityRank(a.severity) > severityRank('low') &&
        !entry.malicious.some((m) => sameDomain(a.baseDomain, m.registrable_domain)) &&
        !(a.baseDomain === '*' && tunnelClients.has(a.clientIp)),
    );
    for (const a of falseAlerts) {
      ok = false;
      const benign = entry.benign.some((b) => sameDomain(a.baseDomain, b.domain)) ? 'benign ' : '';
      lines.push(
        `FAIL ${file}: ${benign}${a.baseDomain} expected nothing above low, got ${a.severity} ${a.rule} (agent ${a.agentId})`,
      );
    }
    if (falseAlerts.length === 0) lines.push(`ok   ${file}: nothing above low on benign traffic`);
  });
  return { ok, lines };
}

function labelsFor(path: string, labels: Labels, dir: string): FileLabels | undefined {
  const rel = relative(dir, resolve(path));
  return labels.files[rel] ?? labels.files[basename(path)];
}

/** Labels name "the last two labels"; the engine uses the PSL: accept either being a suffix of the other. */
function sameDomain(a: string, b: string): boolean {
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

function strongest(alerts: readonly ReplayAlert[]): ReplayAlert | undefined {
  let best: ReplayAlert | undefined;
  for (const a of alerts) if (!best || severityRank(a.severity) > severityRank(best.severity)) best = a;
  return best;
}
