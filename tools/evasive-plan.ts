// The query plan of fixtures/make-captures.sh's evasive capture, one line per query:
// "style<TAB>source<TAB>atMs<TAB>qtype<TAB>transport<TAB>qname", each style from its own loopback source;
// with --zones, one line per evasive style: "style<TAB>source<TAB>zone,zone...".
// Run: node --import tsx tools/evasive-plan.ts [seed] [--zones]
import { evasiveStyles, hardBenign, type StylePlan } from './exfil-styles.js';

const seed = Number(process.argv.find((a, i) => i >= 2 && !a.startsWith('--')) ?? 7);
const evasive = evasiveStyles(seed).map((plan, i) => ({ plan, source: `127.0.0.${String(60 + i)}` }));
const benign = hardBenign(seed + 4).map((plan, i) => ({ plan, source: `127.0.0.${String(50 + i)}` }));

function queryLines({ plan, source }: { plan: StylePlan; source: string }): string[] {
  return plan.queries.map((q) => [plan.style, source, q.atMs, q.qtype, q.transport, q.qname].join('\t'));
}

const lines = process.argv.includes('--zones')
  ? evasive.map(({ plan, source }) => [plan.style, source, plan.zones.join(',')].join('\t'))
  : [...evasive, ...benign].flatMap(queryLines);
process.stdout.write(`${lines.join('\n')}\n`);
