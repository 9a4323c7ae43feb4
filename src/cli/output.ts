// Printers shared by the CLI commands: aligned table, JSON document, CSV (RFC 4180), NDJSON.
import { DnswardError } from '../errors.js';

export type OutputFormat = 'table' | 'json' | 'csv' | 'ndjson';

export type Cell =
  string | number | boolean | null | undefined | readonly unknown[] | Record<string, unknown>;

function cellText(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** C0 controls, DEL and C1 controls (ESC, CSI, OSC, BEL, newlines): what a terminal would act on. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text safe to print on a terminal: control characters as RFC 1035 `\DDD` escapes, the form qnames already
 * use, so a capture's SNI or any stored string cannot move the cursor, recolour or retitle the analyst's terminal.
 */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, (c) => `\\${String(c.charCodeAt(0)).padStart(3, '0')}`);
}

/** Cells a spreadsheet would evaluate as a formula (OWASP CSV injection) get a leading quote. */
const FORMULA_START = /^[=+\-@\t\r]/;

export function formatTable(rows: readonly Record<string, Cell>[], columns: readonly string[]): string {
  const texts = rows.map((r) => columns.map((c) => terminalSafe(cellText(r[c]))));
  // a loop, not Math.max(...rows): spreading a million rows overflows the call stack
  const widths = columns.map((c) => c.length);
  for (const cells of texts)
    cells.forEach((cell, i) => {
      if (cell.length > (widths[i] ?? 0)) widths[i] = cell.length;
    });
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const lines = [line(columns)];
  for (const cells of texts) lines.push(line(cells));
  return lines.join('\n') + '\n';
}

export function formatCsv(rows: readonly Record<string, Cell>[], columns: readonly string[]): string {
  const quote = (raw: string): string => {
    const text = FORMULA_START.test(raw) ? `'${raw}` : raw;
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(columns.map((c) => quote(cellText(r[c]))).join(','));
  return lines.join('\n') + '\n';
}

export function formatRows(
  rows: readonly Record<string, Cell>[],
  columns: readonly string[],
  format: OutputFormat,
): string {
  switch (format) {
    case 'table':
      return formatTable(rows, columns);
    case 'csv':
      return formatCsv(rows, columns);
    case 'json':
      return `${JSON.stringify(rows, null, 2)}\n`;
    case 'ndjson':
      return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : '');
    default: {
      const never: never = format;
      return never;
    }
  }
}

/** Picks the format from `--json`/`--csv`/`--ndjson` flags; more than one is a usage error (exit 2). */
export function selectFormat(
  flags: {
    readonly json?: boolean | undefined;
    readonly csv?: boolean | undefined;
    readonly ndjson?: boolean | undefined;
  },
  fallback: OutputFormat = 'table',
): OutputFormat {
  const chosen = (['json', 'csv', 'ndjson'] as const).filter((f) => flags[f] === true);
  if (chosen.length > 1) {
    throw new DnswardError('DNSWARD_ERR_USAGE', `choose one output format, got --${chosen.join(' and --')}`);
  }
  return chosen[0] ?? fallback;
}

/** Pretty JSON document with a trailing newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** `key: value` lines, keys padded to one column (single-record views such as `alerts show`). */
export function formatRecord(record: Readonly<Record<string, Cell>>): string {
  const keys = Object.keys(record);
  const width = Math.max(0, ...keys.map((k) => k.length));
  return (
    keys.map((k) => `${`${k}:`.padEnd(width + 2)}${terminalSafe(cellText(record[k]))}`).join('\n') + '\n'
  );
}

/** Human byte counts: 512 B, 4.0 KiB, 1.2 MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${String(Math.round(bytes))} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
