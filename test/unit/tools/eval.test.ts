// `npm run eval -- DIR` on the repository's own labelled captures: the per-capture table from src/pcap reads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { evaluateSets, labelledSets } from '../../../tools/eval/evaluate-captures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = join(ROOT, 'fixtures');

describe('eval', () => {
  it('finds fixtures/labels.json as one set, and the sets in the folder above it', () => {
    assert.deepEqual(labelledSets(FIXTURES), [FIXTURES]);
    assert.deepEqual(labelledSets(ROOT), [FIXTURES]);
  });

  it('scores every labelled capture: the tunnels alert high, the benign agents nothing above low', async () => {
    const results = await evaluateSets(FIXTURES);
    const byFile = new Map(results.map((r) => [r.file, r]));
    const labels = JSON.parse(readFileSync(join(FIXTURES, 'labels.json'), 'utf8')) as { files: object };
    assert.deepEqual([...byFile.keys()].sort(), Object.keys(labels.files).sort());
    for (const [file, queries] of [
      ['iodine-tunnel.pcap', 229],
      ['dns2tcp-tunnel.pcap', 373],
      ['exfil-script.pcap', 130],
    ] as const) {
      const r = byFile.get(file);
      assert.equal(r?.queries, queries, file);
      assert.equal(r.alerted, true, file);
      assert.equal(r.maxSeverity, 'high', file);
      assert.deepEqual(r.falseAlerts, [], file);
    }
    const benign = byFile.get('benign-agent.pcap');
    assert.equal(benign?.queries, 276);
    assert.equal(benign.malicious, false);
    assert.deepEqual(benign.falseAlerts, []);
    // issue 21: every evasive style at medium or above within 10 queries, hard benign traffic quiet
    for (const r of results.filter((x) => x.file.startsWith('evasive-'))) {
      assert.equal(r.alerted, true, r.file);
      assert.ok(
        r.queriesToAlert !== null && r.queriesToAlert <= 10,
        `${r.file}: ${String(r.queriesToAlert)}`,
      );
      assert.deepEqual(r.falseAlerts, [], r.file);
    }
    assert.deepEqual(byFile.get('benign-hard.pcap')?.falseAlerts, []);
  });

  it('the command prints one table row per capture', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'tools/eval/eval.ts', 'fixtures'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const rows = out.split('\n').filter((line) => line.startsWith('| '));
    const labelled = Object.keys(
      (JSON.parse(readFileSync(join(FIXTURES, 'labels.json'), 'utf8')) as { files: object }).files,
    ).length;
    assert.equal(rows.length, 1 + labelled, out);
    assert.match(rows[0] ?? '', /^\| file \| queries \| alerted \|/);
    assert.ok(
      rows.some((row) => row.startsWith('| iodine-tunnel.pcap | 229 | yes | high |')),
      out,
    );
  });
});
