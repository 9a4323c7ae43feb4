// The CLI printers: huge results do not overflow the stack (M2), terminal output is escaped (M6), CSV cells a
// spreadsheet would evaluate are defused (L1), counts are validated (L6), `alerts list` has a default limit (M2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFilter } from '../../../src/cli/commands/alerts.js';
import { parseCount } from '../../../src/cli/options.js';
import { formatCsv, formatRecord, formatTable, terminalSafe } from '../../../src/cli/output.js';
import { DnswardError } from '../../../src/errors.js';

describe('CLI output', () => {
  it('M2: the table formatter takes 300,000 rows without a stack overflow', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => ({ id: i, name: `n${i}.example.org` }));
    const text = formatTable(rows, ['id', 'name']);
    assert.equal(text.split('\n').length, 300_002);
    assert.match(text, /^id {6}name/);
  });

  it('M2: alerts list has a default limit', () => {
    assert.equal(buildFilter({ db: 'x.db' }, 0).limit, 1000);
    assert.equal(buildFilter({ db: 'x.db', limit: '5' }, 0).limit, 5);
  });

  it('M6: control characters printed to a terminal come out as \\DDD', () => {
    assert.equal(terminalSafe('a\x1b[31mb\nc\x07\x9b'), 'a\\027[31mb\\010c\\007\\155');
    const table = formatTable([{ sni: '\x1b]0;owned\x07x.example.org' }], ['sni']);
    assert.ok(!table.includes('\x1b') && !table.includes('\x07'));
    assert.doesNotMatch(formatRecord({ sample: 'x\ny' }), /x\ny/);
  });

  it('L1: CSV cells starting with = + - @ tab or CR are prefixed with a quote', () => {
    const csv = formatCsv(
      [
        { q: '=2*3' },
        { q: "=cmd|'/Ccalc'!A0" },
        { q: '+1.example.com' },
        { q: '-2+3' },
        { q: '@SUM(A1)' },
        { q: 'ok' },
      ],
      ['q'],
    );
    assert.deepEqual(csv.trim().split('\n'), [
      'q',
      "'=2*3",
      "'=cmd|'/Ccalc'!A0",
      "'+1.example.com",
      "'-2+3",
      "'@SUM(A1)",
      'ok',
    ]);
  });

  it('L6: --limit must be a whole number in range', () => {
    for (const bad of ['0', '-1', '1.5', 'abc', '', '1e3', '2000001'])
      assert.throws(
        () => parseCount('--limit', bad, 2_000_000),
        (e: unknown) => e instanceof DnswardError && e.code === 'DNSWARD_ERR_USAGE',
        bad,
      );
    assert.equal(parseCount('--limit', '300000', 2_000_000), 300_000);
  });
});
