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

export function formatTable(rows: readonly Record<string, Cell>[], columns: readonly string[]): string {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cellText(r[c]).length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cellText(r[c]))))].join('\n') + '\n';
}

export function formatCsv(rows: readonly Record<string, Cell>[], columns: readonly string[]): string {
  const quote = (text: string): string => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  return (
    [columns.join(','), ...rows.map((r) => columns.map((c) => quote(cellText(r[c]))).join(','))].join('\n') +
    '\n'
  );
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
  return keys.map((k) => `${`${k}:`.padEnd(width + 2)}${cellText(record[k])}`).join('\n') + '\n';
}

/** Human byte counts: 512 B, 4.0 KiB, 1.2 MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${String(Math.round(bytes))} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
