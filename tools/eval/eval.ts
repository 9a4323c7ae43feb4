// The eval command: scores a labelled capture set and prints the per-capture table (or --json).
//
// npm run eval -- DIR [--json] [--volume-only] [--enforce] [--one-agent]
// DIR holds labels.json (the format of fixtures/labels.json), or subfolders that each hold one.
import { resolve } from 'node:path';
import { HARD_MARKERS, evaluateSets, labelledSets, resultTable } from './evaluate-captures.js';

async function main(argv: readonly string[]): Promise<number> {
  const dir = argv.find((a) => !a.startsWith('--'));
  if (dir === undefined) {
    process.stderr.write('usage: npm run eval -- DIR [--json] [--volume-only] [--enforce] [--one-agent]\n');
    return 2;
  }
  const root = resolve(dir);
  if (labelledSets(root).length === 0) {
    process.stderr.write(`eval: no labels.json in ${root} or its subfolders\n`);
    return 2;
  }
  const results = await evaluateSets(root, {
    disable: argv.includes('--volume-only') ? HARD_MARKERS : [],
    enforce: argv.includes('--enforce'),
    oneAgent: argv.includes('--one-agent'),
  });
  process.stdout.write(
    argv.includes('--json') ? `${JSON.stringify(results, null, 2)}\n` : resultTable(results),
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
